// Shared helpers for benchmark scenarios: statistics, repetition, self-checks, the
// in-process server, process sampling and the browser.
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a sample. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Median and spread (min..max) of repeated measurements. */
export function summarize(xs) {
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { median: median(xs), min, max, runs: xs.length };
}

/**
 * Runs `fn` `warmup` times unmeasured (JIT, page cache, SQLite cache), then `runs` times,
 * returning each run's result. Runs are sequential: nothing else of ours competes for the CPU.
 */
export async function repeat({ warmup = 1, runs }, fn) {
  for (let i = 0; i < warmup; i++) await fn({ warmup: true, run: i });
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await fn({ warmup: false, run: i }));
  return out;
}

/** A benchmark's self-check: a fast wrong answer must fail loudly, not produce a number. */
export function check(ok, message) {
  if (!ok) throw new Error(`self-check failed: ${message}`);
}

export async function withTempDir(prefix, fn) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ma-bench-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An ephemeral TCP port for a child process that cannot bind port 0 itself (mosquitto). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real server, in this process, on ephemeral ports, with an admin API token (so the
 * scenarios keep working when the API requires one). Returns the running server plus the
 * token and `api(path)`, a fetch that sends it.
 */
export async function startBenchServer(dir, { tcp = false, yaml = '' } = {}) {
  const { startServer, parseServerConfig } = await import('../packages/server/dist/index.js');
  const token = `mat_bench_${randomBytes(16).toString('hex')}`;
  const sha = createHash('sha256').update(token).digest('hex');
  const text = [
    'http:\n  port: 0',
    tcp ? 'mqtt:\n  tcp:\n    enabled: true\n    port: 0' : '',
    `api:\n  admin_token_sha256: ["${sha}"]`,
    'nodes:\n  offline_after: 10m',
    yaml,
  ].filter(Boolean).join('\n');
  const file = path.join(dir, 'server.yaml');
  const config = parseServerConfig(`${text}\n`, file, {});
  const server = await startServer({ config, file, dataDir: dir }, pino({ level: 'silent' }));
  const headers = { authorization: `Bearer ${token}` };
  const api = async (p) => {
    const res = await fetch(`${server.url}${p}`, { headers });
    if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  return { server, token, headers, api };
}

const CLK_TCK = 100;

/** RSS (MB) and CPU time (s, user + system) of a process, from /proc. */
export function procStat(pid = process.pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMb: rssKb / 1024, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / CLK_TCK };
}

/** Debian's Chromium, headless; never a downloaded browser. */
export const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
export async function launchChromium(extraArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--enable-precise-memory-info', ...extraArgs],
  });
}

/** High-resolution wall-clock milliseconds, comparable with a browser's `performance.timeOrigin + performance.now()`. */
export const wallMs = () => performance.timeOrigin + performance.now();

export const fmtInt = (n) => Math.round(n).toLocaleString('en');

/** A pino-shaped logger that discards everything (kept for scenarios written against the first harness). */
export function silentLogger() {
  return pino({ level: 'silent' });
}

/**
 * A browser context logged in as an admin user, the way a person is: a session cookie from
 * POST /api/v1/auth/login (the user is created with the bench's bootstrap token on first use).
 * Bearer headers do not reach a page's WebSocket, the cookie does.
 */
export async function loggedInContext(browser, { server, headers }, options = {}) {
  const user = { name: 'bench-admin', password: 'correct-horse-battery-staple-0123' };
  const json = { 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/api/v1/users`, { method: 'POST', headers: { ...headers, ...json }, body: JSON.stringify({ ...user, role: 'admin' }) });
  if (created.status !== 201 && created.status !== 409) throw new Error(`creating the bench user: HTTP ${created.status} ${await created.text()}`);
  const res = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(user) });
  if (res.status !== 200) throw new Error(`bench login: HTTP ${res.status} ${await res.text()}`);
  const [name, value] = res.headers.getSetCookie()[0].split(';')[0].split('=');
  const context = await browser.newContext(options);
  await context.addCookies([{ name, value, url: server.url }]);
  return context;
}
