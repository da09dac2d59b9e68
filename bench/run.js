#!/usr/bin/env node
// `npm run bench [-- <scenario> ...] [-- --quick]`: runs benchmark scenarios (each with its
// warm-up, repeated runs and its reference measured in the same run), prints median and
// spread, and writes docs/benchmarks.md and docs/benchmarks.json. Every scenario checks its
// own result (e.g. rows stored = rows sent), so a fast wrong answer fails loudly instead of
// producing a number. Running a subset updates only that subset's rows in the report.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, summarize } from './lib.js';
import { renderMarkdown } from './report.js';
import alerts from './scenarios/alerts.js';
import agent from './scenarios/agent-footprint.js';
import charts from './scenarios/charts.js';
import connections from './scenarios/connections.js';
import dashboard from './scenarios/dashboard.js';
import drain from './scenarios/drain.js';
import equipment from './scenarios/equipment.js';
import ingest from './scenarios/ingest.js';
import latency from './scenarios/latency.js';
import pageWeight from './scenarios/page-weight.js';
import query from './scenarios/query.js';

// In the benchmarks issue's order: 1 ingest, 2 query, 3 charts (+ the dashboard's figures), 4 agent, 5 drain, 6 latency,
// 7 connections. Slot 5 (backlog drain, bench/scenarios/drain.js) belongs to the delivery
// work, which registers it here between agent and latency.
const scenarios = [ingest, query, charts, dashboard, pageWeight, agent, drain, latency, connections, alerts, equipment].filter(Boolean);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
if (args.includes('--list')) {
  for (const s of scenarios) console.log(`${s.name.padEnd(12)} ${s.title}`);
  process.exit(0);
}
const wanted = args.filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;

const fmt = (n) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(Math.abs(n) >= 10 ? 1 : 2));
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
const jsonFile = path.join(repoRoot, 'docs/benchmarks.json');
const previous = existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : { scenarios: [] };
const kept = (previous.scenarios ?? []).filter((p) => !selected.some((s) => s.name === p.name) && scenarios.some((s) => s.name === p.name));

const started = Date.now();
const done = [];
let failed = 0;
for (const s of selected) {
  const load = os.loadavg()[0];
  console.log(`\n== ${s.title}${quick ? ' (quick)' : ''}   [load average ${load.toFixed(2)}]`);
  const t0 = Date.now();
  const entry = { name: s.name, title: s.title, date: new Date().toISOString(), quick, machine, load_before: Number(load.toFixed(2)) };
  try {
    const out = await s.run({ quick });
    const rows = Array.isArray(out) ? out : out.rows;
    entry.notes = Array.isArray(out) ? [] : (out.notes ?? []);
    entry.results = rows.map((r) => {
      const stats = summarize(r.values);
      const verdict = judge(r.goal, stats.median);
      console.log(`  ${r.metric}: median ${fmt(stats.median)} ${r.unit} (min ${fmt(stats.min)}, max ${fmt(stats.max)}, ${stats.runs} runs)${r.goal ? `  goal ${r.goal}: ${verdict}` : ''}`);
      return { metric: r.metric, unit: r.unit, ...stats, goal: r.goal, verdict, values: r.values.length <= 50 ? r.values : undefined };
    });
    for (const n of entry.notes) console.log(`  note: ${n}`);
  } catch (e) {
    failed++;
    entry.error = e instanceof Error ? e.message : String(e);
    console.error(`  FAILED: ${entry.error}`);
    if (e instanceof Error && e.stack) console.error(e.stack);
  }
  entry.seconds = Math.round((Date.now() - t0) / 1000);
  entry.load_after = Number(os.loadavg()[0].toFixed(2));
  console.log(`  (${entry.seconds} s, load average ${entry.load_after.toFixed(2)} at the end)`);
  done.push(entry);
}

const all = [...kept, ...done].sort((a, b) => scenarios.findIndex((s) => s.name === a.name) - scenarios.findIndex((s) => s.name === b.name));
const report = { generated: new Date().toISOString(), machine, command: `npm run bench${quick ? ' -- --quick' : ''}`, scenarios: all };
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(repoRoot, 'docs/benchmarks.md'), renderMarkdown(report));
console.log(`\n${selected.length} scenario(s) in ${Math.round((Date.now() - started) / 1000)} s; wrote docs/benchmarks.md and docs/benchmarks.json${failed ? `; ${failed} FAILED` : ''}`);
process.exit(failed ? 1 : 0);

/** "met" / "missed" for goals written as "<op> <number>", e.g. ">= 50,000" or "< 300". */
function judge(goal, value) {
  const m = goal && /^(>=|<=|<|>)\s*([\d,.]+)/.exec(goal);
  if (!m) return undefined;
  const target = Number(m[2].replaceAll(',', ''));
  const ok = { '>=': value >= target, '<=': value <= target, '<': value < target, '>': value > target }[m[1]];
  return ok ? 'met' : 'missed';
}
