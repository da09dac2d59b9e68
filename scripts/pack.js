#!/usr/bin/env node
// `npm run pack`: installable tarballs of the three programs, for `npm install -g <tarball>` on a
// machine without the repository. @ma/protocol is not published, so each tarball carries its
// built code in dist/_protocol/ (imports rewritten to it); every other dependency comes from the
// npm registry at install time. The server's tarball also carries the built dashboard (web/).
// Run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'packs'));
const packages = [
  { dir: 'cli', bin: 'ma' },
  { dir: 'agent', bin: 'ma-agent' },
  // The repository's `overrides` (cookie 1.1.1 for Node 20) do not reach an installed package,
  // so the server's tarball pins light-my-request (fastify's inject(), unused at run time) to the
  // last release whose cookie supports Node 20; fastify's ^6 range takes that copy.
  { dir: 'server', bin: 'ma-server', web: true, pins: { 'light-my-request': '6.6.0' } },
];

const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
/** Built output without tests and build caches. */
const copyBuilt = (from, to) => cpSync(from, to, { recursive: true, filter: (src) => !/\.test\.(js|d\.ts)(\.map)?$|\.tsbuildinfo$/.test(src) });

for (const p of ['protocol', ...packages.map((x) => x.dir)]) {
  if (!existsSync(path.join(root, 'packages', p, 'dist'))) {
    console.error(`pack: packages/${p}/dist is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
if (!existsSync(path.join(root, 'packages/web/dist/index.html'))) {
  console.error('pack: packages/web/dist is missing: run `npm run build` first');
  process.exit(1);
}
/**
 * `from '@ma/protocol'` (and a subpath export such as `@ma/protocol/signing`) becomes a relative
 * import of the copy in dist/_protocol/: a bare specifier left behind fails at start-up on the
 * installed machine, where no @ma/protocol package exists.
 */
function rewriteProtocolImports(dir, protocolDir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (file !== protocolDir) rewriteProtocolImports(file, protocolDir);
      continue;
    }
    if (!/\.(js|d\.ts)$/.test(entry.name)) continue;
    const text = readFileSync(file, 'utf8');
    const out = text.replace(/(from\s+|import\(\s*)(['"])@ma\/protocol(?:\/([\w-]+))?\2/g, (_m, lead, q, sub) => {
      let rel = path.relative(path.dirname(file), path.join(protocolDir, `${sub ?? 'index'}.js`)).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${lead}${q}${rel}${q}`;
    });
    if (out !== text) writeFileSync(file, out);
  }
}

mkdirSync(outDir, { recursive: true });
const protocol = readJson(path.join(root, 'packages/protocol/package.json'));
const rootPkg = readJson(path.join(root, 'package.json'));

for (const p of packages) {
  const src = path.join(root, 'packages', p.dir);
  const stage = mkdtempSync(path.join(os.tmpdir(), `ma-pack-${p.dir}-`));
  try {
    const pkg = readJson(path.join(src, 'package.json'));
    copyBuilt(path.join(src, 'dist'), path.join(stage, 'dist'));
    cpSync(path.join(src, 'bin'), path.join(stage, 'bin'), { recursive: true });
    if (p.web) cpSync(path.join(root, 'packages/web/dist'), path.join(stage, 'web'), { recursive: true });
    copyBuilt(path.join(root, 'packages/protocol/dist'), path.join(stage, 'dist/_protocol'));
    rewriteProtocolImports(path.join(stage, 'dist'), path.join(stage, 'dist/_protocol'));
    const { private: _private, exports: pkgExports, ...rest } = pkg;
    const { '@ma/protocol': _protocolDep, ...dependencies } = pkg.dependencies;
    const manifest = {
      ...rest,
      description: `Monitor Actuator: ${p.bin}`,
      license: rootPkg.license,
      engines: rootPkg.engines,
      exports: { '.': { types: pkgExports['.'].types, default: pkgExports['.'].default } },
      files: ['bin', 'dist', ...(p.web ? ['web'] : [])],
      dependencies: { ...protocol.dependencies, ...dependencies, ...p.pins },
    };
    writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
    console.log(path.relative(process.cwd(), path.join(outDir, out)));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
