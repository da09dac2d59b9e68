import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { buildInventory } from '../../packages/cli/src/provisioning/inventory.js';
import { REPO_ROOT, SERVER_BIN } from '../support/processes.js';

const run = promisify(execFile);
const ANSIBLE_DIR = path.join(REPO_ROOT, 'deploy/ansible');

async function tool(cmd: string, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const r = await run(cmd, args, { cwd: ANSIBLE_DIR, maxBuffer: 8 << 20, env: { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' } });
    return { code: 0, out: r.stdout + r.stderr, stdout: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}`, stdout: err.stdout ?? '' };
  }
}

const node = (id: number, name: string, tags: string[]) => ({ id, name, tunnel_port: 20000 + id, tags }) as NodeSummary;
const channel = (driver: string, kind: 'sensor' | 'actuator', quantity: string | null) => ({ driver, kind, quantity }) as ChannelSummary;

describe('deploy/ansible', () => {
  let dir: string;
  let inventory: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ma-ansible-'));
    inventory = path.join(dir, 'inventory.yml');
    const inv = buildInventory(
      [
        { node: node(3, 'freezer-room-2', ['freezers', 'lab.b12']), channels: [channel('ds18b20', 'sensor', 'temperature')] },
        { node: node(4, 'door', ['lab.b12']), channels: [channel('gpio', 'actuator', null)] },
      ],
      { hosts: { control: { ansible_host: 'ma.example.org' } } },
    );
    await writeFile(inventory, toYaml(inv));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is ansible-lint clean (production profile)', async () => {
    const r = await tool('ansible-lint', ['--nocolor']);
    expect(r.out).toContain('Passed with production profile');
    expect(r.code).toBe(0);
  }, 120_000);

  it.each(['site.yml', 'ma_node.yml', 'ma_control.yml'])('%s passes ansible-playbook --syntax-check with an inventory from `ma inventory`', async (playbook) => {
    const r = await tool('ansible-playbook', ['--syntax-check', '-i', inventory, playbook]);
    expect(r.out).not.toMatch(/ERROR|WARNING/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('Ansible reads the generated inventory: variables once per node, every function and tag group', async () => {
    const r = await tool('ansible-inventory', ['-i', inventory, '--list']);
    expect(r.code, r.out).toBe(0);
    const inv = JSON.parse(r.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, { hosts?: string[]; children?: string[] }>;
    expect(inv._meta.hostvars['freezer-room-2']).toMatchObject({ ma_node_id: 3, ma_tunnel_port: 20003, ma_agent_drivers: ['ds18b20'] });
    expect(inv.temperature!.hosts).toEqual(['freezer-room-2']);
    expect(inv.actuator!.hosts).toEqual(['door']);
    expect(inv.tag_lab_b12!.hosts!.sort()).toEqual(['door', 'freezer-room-2']);
    expect(inv.ma_control!.hosts).toEqual(['control']);
    // --limit by group or node works on this inventory as in the original README.
    const limited = await tool('ansible-playbook', ['--list-hosts', '-i', inventory, '--limit', 'temperature', 'site.yml']);
    expect(limited.out).toContain('freezer-room-2');
    expect(limited.out).not.toContain('door');
  }, 60_000);

  it('the control point\'s unit, rendered by Ansible\'s template module, passes systemd-analyze verify', async () => {
    // A prefix as `npm install -g --prefix` makes it, running the real ma-server program, so verify can check ExecStart exists.
    const prefix = path.join(dir, 'prefix');
    await mkdir(path.join(prefix, 'bin'), { recursive: true });
    await writeFile(path.join(prefix, 'bin', 'ma-server'), `#!/bin/sh\nexec '${process.execPath}' '${SERVER_BIN}' "$@"\n`, { mode: 0o755 });
    const unit = path.join(dir, 'ma-server.service');
    const r = await tool('ansible', ['localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.template', '-a', `src=roles/ma_control/templates/ma-server.service.j2 dest=${unit}`, '-e', '@roles/ma_control/defaults/main.yml', '-e', `ma_control_prefix=${prefix}`]);
    expect(r.code, r.out).toBe(0);
    const text = await readFile(unit, 'utf8');
    expect(text).toContain(`ExecStart=${prefix}/bin/ma-server serve --config /etc/ma-server/server.yaml`);
    for (const line of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'ReadWritePaths=/var/lib/ma-server', 'Restart=always']) expect(text.split('\n')).toContain(line);
    const v = await tool('systemd-analyze', ['verify', unit]);
    expect(v.out.split('\n').filter((l) => l.includes('ma-server.service') && !/Failed to resolve|not found|dependency/i.test(l))).toEqual([]);
    expect(v.code).toBe(0);
  }, 60_000);

  it('a syntax error in a playbook is caught, so the checks above can fail', async () => {
    const broken = path.join(ANSIBLE_DIR, `broken-${process.pid}.yml`);
    await writeFile(broken, (await readFile(path.join(ANSIBLE_DIR, 'ma_node.yml'), 'utf8')).replace('roles:', 'rolez:'));
    try {
      const r = await tool('ansible-playbook', ['--syntax-check', '-i', inventory, broken]);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('rolez');
    } finally {
      await rm(broken, { force: true });
    }
  }, 60_000);
});
