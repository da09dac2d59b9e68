#!/usr/bin/env node
// Committed launcher, so npm links `ma` at install time (before any build) and a clone
// that has not been built yet gets a clear instruction instead of "command not found".
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/ma.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('ma: not built yet (packages/cli/dist is missing): run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(built.href);
