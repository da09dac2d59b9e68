import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AGENT_BIN, CLI_BIN, runToEnd, startServerProcess, tempDir, TEST_ADMIN_TOKEN, type ServerHandle } from '../support/processes.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';

interface Inventory {
  all: { children: { ma_control: { hosts: Record<string, { ansible_host: string }> }; ma_nodes: { hosts: Record<string, { ma_node_id: number; ma_tunnel_port: number; ansible_host: string }>; children?: Record<string, { hosts: Record<string, null> }> } } };
}

/**
 * The operator's path from nothing to a card: `ma init` → `ma node add` → `ma inventory` →
 * `ma bootstrap`, against a real server. Every file names the same node, id, tunnel port and
 * operator key, and the token on the card really enrolls (once).
 */
describe('provisioning a node from the private directory', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let home: string;
  let boot: string;
  const ma = (args: string[], env: NodeJS.ProcessEnv = {}) => runToEnd(process.execPath, [CLI_BIN, ...args], { MA_SERVER: server.url, MA_TOKEN: TEST_ADMIN_TOKEN, MA_HOME: '', ...env });

  beforeAll(async () => {
    tmp = await tempDir('provisioning');
    server = await startServerProcess({ dir: tmp.dir });
    home = path.join(tmp.dir, 'private');
    boot = path.join(tmp.dir, 'bootfs');
    await mkdir(boot);
    await writeFile(path.join(tmp.dir, 'operator.pub'), `${KEY}\n`);
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('ma init writes the Ansible inventory, vars, a secrets .gitignore, and never overwrites', async () => {
    const r = await ma(['init', home, '--host', 'ma.example.org', '--operator', 'alice', '--ssh-key', path.join(tmp.dir, 'operator.pub'), '--wifi-country', 'DE']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const vars = parseYaml(await readFile(path.join(home, 'ansible/group_vars/all/ma.yml'), 'utf8')) as Record<string, unknown>;
    expect(vars).toMatchObject({ ma_operator_users: [{ name: 'alice', ssh_keys: [KEY] }], ma_wifi_country: 'DE' });
    const gitignore = await readFile(path.join(home, '.gitignore'), 'utf8');
    for (const secret of ['*.key', 'ansible/group_vars/all/wifi.yml', 'data/']) expect(gitignore.split('\n')).toContain(secret);
    expect((await stat(path.join(home, 'ansible/group_vars/all/wifi.yml'))).mode & 0o077).toBe(0);
    const inv = parseYaml(await readFile(path.join(home, 'ansible/inventory.yml'), 'utf8')) as Inventory;
    expect(inv.all.children.ma_control.hosts.control!.ansible_host).toBe('ma.example.org');

    await writeFile(path.join(home, 'ansible/group_vars/all/wifi.yml'), 'ma_wifi_networks:\n  - { ssid: Lab, psk: "lab passphrase" }\n');
    const again = await ma(['init', home]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('written:      nothing (all files exist)');
    expect(await readFile(path.join(home, 'ansible/group_vars/all/wifi.yml'), 'utf8')).toContain('Lab');
  });

  it('commands find the private directory by --home, MA_HOME, or from a directory inside it', async () => {
    const inside = path.join(home, 'ansible', 'group_vars');
    const byCwd = await runToEnd('sh', ['-c', `cd '${inside}' && '${process.execPath}' '${CLI_BIN}' inventory`], { MA_SERVER: server.url, MA_TOKEN: TEST_ADMIN_TOKEN, MA_HOME: '' });
    expect(byCwd.stderr).toBe('');
    expect(byCwd.stdout).toContain(path.join(home, 'ansible/inventory.yml'));
    expect((await ma(['inventory'], { MA_HOME: home })).code).toBe(0);
    expect((await ma(['--home', home, 'inventory'])).code).toBe(0);
    const lost = await ma(['--home', tmp.dir, 'inventory']);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain(`${tmp.dir} is not a private directory`);
    expect(lost.stderr).toContain('--home');
  });

  it('node add → inventory → bootstrap agree on name, id, tunnel port and operator key; the card\'s token enrolls once', async () => {
    for (const n of ['bench-a', 'freezer-room-2']) expect((await ma(['node', 'add', n])).code).toBe(0);
    expect((await ma(['node', 'tag', 'freezer-room-2', 'freezers', 'lab.b12'])).code).toBe(0);
    expect((await ma(['node', 'tag', 'bench-a', 'lab.b12'])).code).toBe(0);
    const shown = JSON.parse((await ma(['node', 'show', 'freezer-room-2', '--json'])).stdout) as { id: number; tunnel_port: number };

    expect((await ma(['--home', home, 'inventory'])).code).toBe(0);
    const inv = parseYaml(await readFile(path.join(home, 'ansible/inventory.yml'), 'utf8')) as Inventory;
    const nodes = inv.all.children.ma_nodes;
    expect(nodes.hosts['freezer-room-2']).toMatchObject({ ma_node_id: shown.id, ma_tunnel_port: shown.tunnel_port });
    expect(nodes.children).toEqual({ tag_freezers: { hosts: { 'freezer-room-2': null } }, tag_lab_b12: { hosts: { 'bench-a': null, 'freezer-room-2': null } } });
    expect(inv.all.children.ma_control.hosts.control!.ansible_host).toBe('ma.example.org'); // kept from ma init

    const b = await ma(['--home', home, 'bootstrap', 'freezer-room-2', '--boot', boot, '--agent-bundle', AGENT_BIN]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(`for node freezer-room-2 (id ${shown.id}, tunnel port ${shown.tunnel_port})`);
    const meta = parseYaml(await readFile(path.join(boot, 'meta-data'), 'utf8')) as Record<string, string>;
    expect(meta).toEqual({ 'instance-id': `ma-node-${shown.id}-freezer-room-2`, 'local-hostname': 'freezer-room-2' });
    const userData = await readFile(path.join(boot, 'user-data'), 'utf8');
    const doc = parseYaml(userData) as { hostname: string; users: Array<{ name: string; ssh_authorized_keys: string[] }>; write_files: Array<{ path: string; content: string }> };
    expect(doc.hostname).toBe('freezer-room-2');
    expect(doc.users).toEqual([expect.objectContaining({ name: 'alice', ssh_authorized_keys: [KEY] })]);
    const script = doc.write_files.find((f) => f.path === '/usr/local/sbin/ma-first-boot')!.content;
    expect(script).toContain(`tunnel port ${shown.tunnel_port}`);
    expect(await readFile(path.join(boot, 'network-config'), 'utf8')).toContain('Lab');
    expect((await stat(path.join(boot, 'ma-agent.mjs'))).size).toBeGreaterThan(0);

    // The token on the card is the one enrollment the server will accept for this node.
    const token = /ENROLL_TOKEN='(mae_[^']+)'/.exec(script)![1]!;
    const serverUrl = /SERVER_URL='([^']+)'/.exec(script)![1]!;
    expect(serverUrl).toBe(server.url);
    const cfg = path.join(tmp.dir, 'node', 'agent.yaml');
    const enrolled = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', serverUrl, token, '--config', cfg]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(parseYaml(await readFile(cfg, 'utf8'))).toMatchObject({ node: 'freezer-room-2' });
    const twice = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', serverUrl, token, '--config', `${cfg}.2`]);
    expect(twice.code).not.toBe(0);
  });

  it('--os bookworm writes firstrun.sh and custom.toml and adds systemd.run to cmdline.txt once', async () => {
    const card = path.join(tmp.dir, 'bootfs-bookworm');
    await mkdir(card);
    await writeFile(path.join(card, 'cmdline.txt'), 'console=serial0,115200 root=PARTUUID=abc-02 rootwait\n');
    for (let i = 0; i < 2; i++) {
      const r = await ma(['--home', home, 'bootstrap', 'bench-a', '--boot', card, '--os', 'bookworm', '--agent-bundle', AGENT_BIN]);
      expect(r.code, r.stderr).toBe(0);
    }
    const cmdline = await readFile(path.join(card, 'cmdline.txt'), 'utf8');
    expect(cmdline.match(/systemd\.run=\/boot\/firstrun\.sh/g)).toHaveLength(1);
    expect(cmdline.split('\n').filter(Boolean)).toHaveLength(1); // still one line, as the firmware requires
    expect(await readFile(path.join(card, 'custom.toml'), 'utf8')).toContain('hostname = "bench-a"');
    const firstrun = await readFile(path.join(card, 'firstrun.sh'), 'utf8');
    expect(firstrun).toContain('echo bench-a >/etc/hostname');
    expect(firstrun).toContain(KEY);
    expect((await stat(path.join(card, 'firstrun.sh'))).mode & 0o111).not.toBe(0);
  });

  it('a bootstrap without Wi-Fi passphrase rules met names the file and key, writes nothing and spends no token', async () => {
    await writeFile(path.join(home, 'ansible/group_vars/all/wifi.yml'), 'ma_wifi_networks:\n  - { ssid: Lab, psk: short }\n');
    const empty = path.join(tmp.dir, 'bootfs-2');
    await mkdir(empty);
    const before = await ma(['node', 'enroll-token', 'bench-a', '--json']);
    const { token } = JSON.parse(before.stdout) as { token: string };
    const r = await ma(['--home', home, 'bootstrap', 'bench-a', '--boot', empty, '--agent-bundle', AGENT_BIN]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${path.join(home, 'ansible/group_vars/all/wifi.yml')}: ma_wifi_networks[0].psk: got 5 characters`);
    expect(await runToEnd('ls', ['-A', empty])).toMatchObject({ stdout: '' });
    // The refused bootstrap issued no token, so the node's earlier one still enrolls.
    const enrolled = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', server.url, token, '--config', path.join(tmp.dir, 'node-b', 'agent.yaml')]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const noBoot = await ma(['--home', home, 'bootstrap', 'bench-a', '--boot', path.join(tmp.dir, 'nope')]);
    expect(noBoot.stderr).toContain('--boot:');
  });
});
