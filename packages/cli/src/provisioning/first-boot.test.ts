import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { agentUnit, customToml, firstBootFiles, firstrunSh, networkConfig, userData, validateSpec, type FirstBootSpec } from './first-boot.js';

const run = promisify(execFile);

/** Runs a real tool; resolves with its exit code and output instead of throwing. */
async function tool(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { maxBuffer: 4 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
const spec: FirstBootSpec = {
  node: { name: 'freezer-room-2', id: 7, tunnel_port: 20007 },
  serverUrl: 'https://ma.example.org:8443',
  enrollmentToken: `mae_${'a'.repeat(43)}.${'b'.repeat(43)}`,
  enrollmentExpiresAt: Date.UTC(2026, 0, 2),
  users: [
    { name: 'alice', ssh_keys: [KEY] },
    { name: 'bob', ssh_keys: [KEY.replace('alice', 'bob')] },
  ],
  wifi: { country: 'GB', networks: [{ ssid: 'Lab Wifi', psk: 'correct horse battery' }, { ssid: 'Backup', psk: 'staple-staple', hidden: true }] },
};

describe('first-boot files for Raspberry Pi OS', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ma-first-boot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('user-data passes Debian cloud-init\'s schema check', async () => {
    const file = path.join(dir, 'user-data');
    await writeFile(file, userData(spec));
    const r = await tool('cloud-init', ['schema', '--config-file', file]);
    expect(r.out).toContain('Valid cloud-config');
    expect(r.code).toBe(0);
  });

  it('the schema check is real: a wrongly typed key is refused, naming it', async () => {
    const file = path.join(dir, 'bad-user-data');
    await writeFile(file, `#cloud-config\n${toYaml({ ...(parseYaml(userData(spec)) as object), users: 5 })}`);
    const r = await tool('cloud-init', ['schema', '--config-file', file]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("users: 5 is not of type");
  });

  it('user-data sets the hostname, keys-only operators and the first-boot enrollment', () => {
    const doc = parseYaml(userData(spec)) as { hostname: string; ssh_pwauth: boolean; users: Array<{ name: string; lock_passwd: boolean; ssh_authorized_keys: string[] }>; write_files: Array<{ path: string; content: string }> };
    expect(doc.hostname).toBe('freezer-room-2');
    expect(doc.ssh_pwauth).toBe(false);
    expect(doc.users.map((u) => [u.name, u.lock_passwd, u.ssh_authorized_keys])).toEqual([
      ['alice', true, [KEY]],
      ['bob', true, [KEY.replace('alice', 'bob')]],
    ]);
    const script = doc.write_files.find((f) => f.path === '/usr/local/sbin/ma-first-boot')!.content;
    expect(script).toContain(`enroll "$SERVER_URL" "$ENROLL_TOKEN"`);
    expect(script).toContain(`ENROLL_TOKEN='${spec.enrollmentToken}'`);
    expect(script).toContain("SERVER_URL='https://ma.example.org:8443'");
  });

  // cloud-init 22.4 (Debian 12) has no schema for network-config (`--schema-type
  // network-config` came in 23.x); net-convert parses it with the code first boot runs and
  // fails on a document it cannot read, so it is the check. NetworkManager output of Wi-Fi
  // needs a newer cloud-init, so the netplan rendering is compared.
  const netConvert = (file: string, out: string) => tool('cloud-init', ['devel', 'net-convert', '-p', file, '-k', 'yaml', '-d', out, '-D', 'debian', '-O', 'netplan']);

  it("network-config is read by cloud-init's network parser and keeps every Wi-Fi network", async () => {
    const file = path.join(dir, 'network-config');
    await writeFile(file, networkConfig(spec));
    const outDir = path.join(dir, 'netplan');
    const r = await netConvert(file, outDir);
    expect(r.code, r.out).toBe(0);
    const rendered = parseYaml(await readFile(path.join(outDir, 'etc/netplan/50-cloud-init.yaml'), 'utf8')) as { network: { version: number; wifis: { wlan0: { 'access-points': Record<string, { password: string }> } } } };
    expect(rendered.network.version).toBe(2);
    expect(rendered.network.wifis.wlan0['access-points']).toEqual({ 'Lab Wifi': { password: 'correct horse battery' }, Backup: { password: 'staple-staple', hidden: true } });
  });

  it('net-convert refuses a network-config it cannot read, so the check above can fail', async () => {
    const file = path.join(dir, 'bad-network-config');
    await writeFile(file, networkConfig(spec).replace('version: 2', 'version: 3'));
    expect((await netConvert(file, path.join(dir, 'bad'))).code).not.toBe(0);
  });

  it('firstrun.sh and the shared first-boot script pass bash -n and shellcheck', async () => {
    const file = path.join(dir, 'firstrun.sh');
    await writeFile(file, firstrunSh(spec));
    expect(await tool('bash', ['-n', file])).toEqual({ code: 0, out: '' });
    const sc = await tool('shellcheck', ['--shell=bash', '--severity=style', file]);
    expect(sc.out).toBe('');
    expect(sc.code).toBe(0);
    const inner = path.join(dir, 'ma-first-boot');
    const doc = parseYaml(userData(spec)) as { write_files: Array<{ path: string; content: string }> };
    await writeFile(inner, doc.write_files.find((f) => f.path === '/usr/local/sbin/ma-first-boot')!.content);
    expect(await tool('shellcheck', ['--shell=bash', '--severity=style', inner])).toEqual({ code: 0, out: '' });
  });

  it('firstrun.sh writes every operator, every Wi-Fi network and turns password login off', () => {
    const sh = firstrunSh(spec);
    expect(sh).toContain('passwd --lock alice');
    expect(sh).toContain('passwd --lock bob');
    expect(sh).toContain('ssid=Lab Wifi');
    expect(sh).toContain('ssid=Backup');
    expect(sh).toContain('PasswordAuthentication no');
    expect(sh).toContain('echo freezer-room-2 >/etc/hostname');
  });

  it('custom.toml names the host, the first operator\'s key and the first network', () => {
    const toml = customToml(spec);
    expect(toml).toContain('hostname = "freezer-room-2"');
    expect(toml).toContain(`authorized_keys = [ "${KEY}" ]`);
    expect(toml).toContain('password_authentication = false');
    expect(toml).toContain('ssid = "Lab Wifi"');
    expect(toml).toContain('country = "GB"');
  });

  it('carries the one-time enrollment token and no node credential', () => {
    for (const os of ['trixie', 'bookworm'] as const) {
      const all = Object.values(firstBootFiles(spec, os)).join('\n');
      expect(all).toContain(spec.enrollmentToken);
      expect(all).not.toMatch(/credential/i);
    }
  });

  it('the agent unit passes systemd-analyze verify', async () => {
    const unit = path.join(dir, 'ma-agent.service');
    await writeFile(unit, agentUnit().replace('/usr/bin/node', process.execPath));
    const r = await tool('systemd-analyze', ['verify', unit]);
    // verify warns about the absent target/user on this host; only errors about the unit itself count.
    expect(r.out.split('\n').filter((l) => l.includes('ma-agent.service') && !/Failed to resolve|not found|dependency/i.test(l))).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('the Ansible role installs the same unit as first boot', async () => {
    const roleUnit = await readFile(new URL('../../../../deploy/ansible/roles/ma_node/files/ma-agent.service', import.meta.url), 'utf8');
    expect(roleUnit).toBe(agentUnit());
  });

  it('refuses specs that would break a generated file, naming file and key', () => {
    expect(() => validateSpec({ ...spec, users: [] }, 'vars.yml')).toThrow('vars.yml: ma_operator_users: got none');
    expect(() => validateSpec({ ...spec, users: [{ name: 'alice', ssh_keys: ['hunter2'] }] }, 'vars.yml')).toThrow('ma_operator_users[0].ssh_keys[0]');
    expect(() => validateSpec({ ...spec, wifi: { country: 'GB', networks: [{ ssid: 'a"b', psk: 'longenough' }] } }, 'wifi.yml')).toThrow('wifi.yml: ma_wifi_networks[0].ssid');
    expect(() => validateSpec({ ...spec, wifi: { country: 'GB', networks: [{ ssid: 'lab', psk: 'short' }] } }, 'wifi.yml')).toThrow('ma_wifi_networks[0].psk: got 5 characters');
    expect(() => validateSpec({ ...spec, wifi: { ...spec.wifi, country: 'UK!' } }, 'vars.yml')).toThrow('ma_wifi_country');
    expect(() => validateSpec(spec, 'vars.yml')).not.toThrow();
  });
});
