// Quick throughput check of the segment-log outbox (not part of the test suite):
//   node packages/agent/src/outbox/outbox.bench.mjs [records=600000] [batch=10] [inFlight=1000] [fsyncIntervalMs=200] [readPage=500]
// Bundles the TypeScript source with esbuild (no package build needed), appends `records` in
// batches of `batch` with `inFlight` appends outstanding (group commit), then drains the backlog
// with readAfter + ack the way the uplink does, then measures recovery time on reopen.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [records = 600_000, batch = 10, inFlight = 1000, fsyncIntervalMs = 200, readPage = 500] = process.argv.slice(2).map(Number);
const work = await mkdtemp(join(tmpdir(), 'ma-outbox-bench-'));
const bundle = join(work, 'outbox.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('./segment-log-outbox.ts', import.meta.url))],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  conditions: ['source'],
  logLevel: 'silent',
});
const { createSegmentLogOutbox } = await import(pathToFileURL(bundle).href);
const dir = join(work, 'outbox');
let syncs = 0;
const fsImpl = {
  write: async (fh, data, position) => (await fh.write(data, 0, data.length, position)).bytesWritten,
  datasync: async (fh) => {
    syncs++;
    await fh.datasync();
  },
};

let outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs, fsImpl });
await outbox.open();
const entriesFor = (n) => Array.from({ length: batch }, (_, i) => ({ ch: `bench/ch${i}`, ts: 1_732_530_000_000 + n, v: n + i / 10, sync: true }));

let t = performance.now();
let issued = 0;
async function appender() {
  while (issued < records) {
    issued += batch;
    await outbox.append(entriesFor(issued));
  }
}
await Promise.all(Array.from({ length: inFlight }, appender));
const appendMs = performance.now() - t;
const stats = outbox.stats();
console.log(`append: ${stats.lastSeq} records in ${appendMs.toFixed(0)} ms = ${Math.round(stats.lastSeq / (appendMs / 1000))} records/s, ${syncs} fdatasyncs, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB`);

await outbox.close();
t = performance.now();
outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs });
await outbox.open();
console.log(`reopen (recovery scan): ${(performance.now() - t).toFixed(0)} ms`);

t = performance.now();
let seen = 0;
for (let after = 0; ; ) {
  const page = await outbox.readAfter(after, readPage);
  if (page.length === 0) break;
  seen += page.length;
  after = page[page.length - 1].seq;
}
const readMs = performance.now() - t;
console.log(`read only: ${seen} records in ${readMs.toFixed(0)} ms = ${Math.round(seen / (readMs / 1000))} records/s (pages of ${readPage})`);

t = performance.now();
let read = 0;
let calls = 0;
for (;;) {
  const page = await outbox.readAfter(outbox.stats().ackedSeq, readPage);
  calls++;
  if (page.length === 0) break;
  read += page.length;
  await outbox.ack(page[page.length - 1].seq);
}
const drainMs = performance.now() - t;
console.log(`drain: ${read} records in ${calls} readAfter+ack calls, ${drainMs.toFixed(0)} ms = ${Math.round(read / (drainMs / 1000))} records/s; left: ${JSON.stringify(outbox.stats())}`);
await outbox.close();
await rm(work, { recursive: true, force: true });
