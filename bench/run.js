#!/usr/bin/env node
// `npm run bench [-- <scenario> ...] [-- --quick]`: runs benchmark scenarios, prints median
// and spread, and writes docs/benchmarks.md and docs/benchmarks.json. Every scenario checks
// its own result (e.g. rows stored = rows sent) so a fast wrong answer fails loudly.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, summarize } from './lib.js';
import agent from './scenarios/agent-footprint.js';
import ingest from './scenarios/ingest.js';

const scenarios = [ingest, agent];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
if (wanted.length && selected.length !== wanted.length) {
  console.error(`unknown scenario; known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const fmt = (n) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(n >= 10 ? 1 : 2));
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
const results = [];
for (const s of selected) {
  console.log(`\n== ${s.title}${quick ? ' (quick)' : ''}`);
  const rows = await s.run({ quick });
  for (const r of rows) {
    const stats = summarize(r.values);
    results.push({ scenario: s.name, title: s.title, ...r, ...stats });
    console.log(`  ${r.metric}: median ${fmt(stats.median)} ${r.unit} (min ${fmt(stats.min)}, max ${fmt(stats.max)}, ${stats.runs} samples)${r.goal ? `  goal ${r.goal}` : ''}`);
  }
}

const date = new Date().toISOString();
const jsonFile = path.join(repoRoot, 'docs/benchmarks.json');
writeFileSync(jsonFile, `${JSON.stringify({ date, machine, quick, results: results.map(({ values: _v, ...r }) => r) }, null, 2)}\n`);
const md = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${date.slice(0, 10)}; machine: ${machine}.`,
  'Each figure is the median of the runs, with the spread. Re-run it to compare; `docs/benchmarks.json` holds the same numbers.',
  '',
  '| scenario | metric | median | min | max | runs | goal |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.scenario} | ${r.metric} | ${fmt(r.median)} ${r.unit} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.runs} | ${r.goal ?? ''} |`),
  '',
];
writeFileSync(path.join(repoRoot, 'docs/benchmarks.md'), md.join('\n'));
console.log(`\nwrote docs/benchmarks.md and docs/benchmarks.json`);
