import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runToEnd, tempDir } from '../support/processes.js';

/**
 * The documented way to install the programs on another machine: `npm run pack`, then
 * `npm install -g` of the tarballs (here into a private prefix). Install scripts are skipped:
 * only better-sqlite3 has one (its native build takes minutes here), so `ma-server serve` is not
 * run from this install; everything else is the real installed tree.
 */
describe('npm run pack, then npm install -g of the tarballs', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let packs: string;
  let prefix: string;
  let install: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    tmp = await tempDir('install');
    packs = path.join(tmp.dir, 'packs');
    prefix = path.join(tmp.dir, 'prefix');
    const pack = await runToEnd('npm', ['run', '--silent', 'pack', '--', packs], {}, 120_000);
    if (pack.code !== 0) throw new Error(`npm run pack failed: ${pack.stderr}`);
    // --prefer-offline: the dependencies are in npm's cache after `npm ci`; the registry otherwise.
    install = await runToEnd(
      'npm',
      ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', ...['ma-cli', 'ma-agent', 'ma-server'].map((p) => path.join(packs, `${p}-0.1.0.tgz`))],
      { npm_config_update_notifier: 'false' },
      240_000,
    );
  }, 400_000);
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('writes one tarball per program', async () => {
    expect((await readdir(packs)).sort()).toEqual(['ma-agent-0.1.0.tgz', 'ma-cli-0.1.0.tgz', 'ma-server-0.1.0.tgz']);
  });

  it('installs ma, ma-agent and ma-server without a warning (no engine mismatch on Node 20), and they run outside the repository', async () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/EBADENGINE|deprecated|ERR/);
    const ma = await runToEnd(path.join(prefix, 'bin/ma'), ['--help'], { NODE_PATH: '' });
    expect(ma.code).toBe(0);
    expect(ma.stdout).toContain('Usage: ma ');
    const server = await runToEnd(path.join(prefix, 'bin/ma-server'), ['--help']);
    expect(server).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage:') });
    const drivers = await runToEnd(path.join(prefix, 'bin/ma-agent'), ['drivers']);
    expect(drivers).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ds18b20 /m) });
    // The installed CLI validates for real (its own copy of @ma/protocol): a flag error, no server needed.
    const bad = await runToEnd(path.join(prefix, 'bin/ma'), ['token', 'create', 'x', '--days', '0']);
    expect(bad.stderr).toBe('ma: --days: got "0", expected an integer 1–365\n');
  });

  it("the server's tarball carries the dashboard and its own copy of @ma/protocol", async () => {
    const list = await runToEnd('tar', ['-tzf', path.join(packs, 'ma-server-0.1.0.tgz')]);
    const files = list.stdout.split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/bin/ma-server.js', 'package/dist/bin/ma-server.js', 'package/web/index.html', 'package/dist/_protocol/index.js']));
    expect(files.filter((f) => f.endsWith('.test.js'))).toEqual([]);
  });

  it('no tarball imports @ma/protocol by name, subpath exports included (it is not published)', async () => {
    for (const p of ['ma-cli', 'ma-agent', 'ma-server']) {
      const code = await runToEnd('tar', ['-xzOf', path.join(packs, `${p}-0.1.0.tgz`), '--wildcards', 'package/dist/*.js']);
      expect(code.stdout.length).toBeGreaterThan(1000);
      expect(code.stdout.match(/['"]@ma\/protocol[^'"]*['"]/g) ?? [], p).toEqual([]);
    }
  });
});

describe('the launchers before a build', () => {
  it('say to run npm run build when dist/ is missing', async () => {
    const tmp = await tempDir('launcher');
    try {
      // A copy of the launcher beside no dist/: what a fresh clone has after `npm ci`.
      const { copyFile, mkdir, writeFile } = await import('node:fs/promises');
      await mkdir(path.join(tmp.dir, 'bin'));
      await writeFile(path.join(tmp.dir, 'package.json'), '{ "type": "module" }\n');
      await copyFile(path.join(REPO_ROOT, 'packages/cli/bin/ma.js'), path.join(tmp.dir, 'bin/ma.js'));
      const r = await runToEnd(process.execPath, [path.join(tmp.dir, 'bin/ma.js'), '--help']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ma: not built yet (packages/cli/dist is missing): run `npm run build` in the repository first');
    } finally {
      await tmp.cleanup();
    }
  });
});
