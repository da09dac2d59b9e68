#!/usr/bin/env node
// Bundles the agent into one file, packages/agent/bundle/ma-agent.mjs, for nodes: one file to
// copy to a Pi, and less memory than loading ~200 modules from node_modules (measured with
// `npm run bench -- agent`). The shebang runs V8 in lite mode (no optimising compiler,
// lazily allocated feedback): the agent is I/O bound, and a Pi Zero has 512 MB for everything.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(path.join(root, 'packages/agent/package.json'), 'utf8'));

await build({
  entryPoints: [path.join(root, 'packages/agent/dist/bin/ma-agent.js')],
  outfile: path.join(root, 'packages/agent/bundle/ma-agent.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  minify: true,
  legalComments: 'linked',
  define: { __MA_AGENT_VERSION__: JSON.stringify(version) },
  banner: {
    // CommonJS dependencies bundled into ESM still call require() for node built-ins.
    js: "import { createRequire as __maCreateRequire } from 'node:module'; const require = __maCreateRequire(import.meta.url);",
  },
  // serialport carries a native binding that cannot live inside one file; it is imported only
  // on nodes with a serial card reader, from a node_modules beside the bundle (docs/equipment.md).
  external: ['serialport'],
  logLevel: 'warning',
});
// esbuild keeps the entry's own `#!/usr/bin/env node`; swap in the one with V8 flags.
const SHEBANG = '#!/usr/bin/env -S node --lite-mode --no-expose-wasm --max-semi-space-size=1';
const out = path.join(root, 'packages/agent/bundle/ma-agent.mjs');
const code = readFileSync(out, 'utf8');
writeFileSync(out, `${SHEBANG}\n${code.startsWith('#!') ? code.slice(code.indexOf('\n') + 1) : code}`);
chmodSync(out, 0o755);
console.log(`bundled packages/agent/bundle/ma-agent.mjs (agent ${version})`);
