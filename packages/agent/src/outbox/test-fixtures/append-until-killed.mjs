// Child process for segment-log-outbox.crash.test.ts: opens the outbox, then appends from
// several concurrent writers and drains + acks like the uplink, until it is killed (kill -9).
// For every append() that resolved it prints "appended <firstSeq> <lastSeq>" (stdout to a pipe
// is synchronous in Node on Linux, so a printed line was acknowledged before the kill).
// argv: <bundled outbox module> <outbox dir> <fsyncIntervalMs>
import { pathToFileURL } from 'node:url';

const [modulePath, dir, intervalMs] = process.argv.slice(2);
const { createSegmentLogOutbox } = await import(pathToFileURL(modulePath).href);
const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: Number(intervalMs), segmentBytes: 16 * 1024 });
await outbox.open();
process.stdout.write(`ready ${outbox.stats().lastSeq}\n`);

let n = 0;
async function writer(id) {
  for (;;) {
    const batch = Array.from({ length: 1 + (n++ % 5) }, (_, i) => ({ ch: `crash/${id}`, ts: Date.now(), v: i }));
    const records = await outbox.append(batch);
    process.stdout.write(`appended ${records[0].seq} ${records[records.length - 1].seq}\n`);
  }
}

async function uplink() {
  for (;;) {
    const records = await outbox.readAfter(outbox.stats().ackedSeq, 200);
    if (records.length > 0) await outbox.ack(records[records.length - 1].seq);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

await Promise.all([writer(0), writer(1), writer(2), writer(3), uplink()]);
