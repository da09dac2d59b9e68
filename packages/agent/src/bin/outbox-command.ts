/**
 * `ma-agent outbox inspect|export|replay`: the recovery tool for a node's durable outbox (the
 * CLI's `ma outbox` runs this). It reads the outbox directory named by agent.yaml's data_dir
 * read-only; replay publishes a range of records to the server with the node's own credential,
 * exactly as the uplink does (QoS 1, one batch at a time, waiting for each PUBACK), so it is
 * idempotent: the server stores each (node, seq) once.
 */
import path from 'node:path';
import { ErrorCode, MaError, topics, type TelemetryBatch } from '@ma/protocol';
import { connect } from 'mqtt';
import { readFile } from 'node:fs/promises';
import { correctTimestamp, SystemClock } from '../clock/clock-source.js';
import type { LoadedAgentConfig } from '../config/load.js';
import { bootId } from '../node-info.js';
import { silentLogger } from '../logger.js';
import { inspectOutbox, iterateRecords } from '../outbox/inspect-outbox.js';
import type { OutboxRecord } from '../outbox/outbox.js';

export const OUTBOX_HELP = `The outbox recovery tool:
  ma-agent outbox inspect --config agent.yaml            the outbox's state: seqs, acked cursor, pending, dropped, segments, torn records
  ma-agent outbox export  --config agent.yaml [options]  write records to stdout
      --all                  every record still on disk (acked ones too, with outbox.retain_acked); default: only unsent ones
      --from <seq> --to <seq> limit to a seq range (inclusive)
      --format jsonl|csv     default jsonl
  ma-agent outbox replay  --config agent.yaml [--all] [--from <seq>] [--to <seq>] [--batch <n>] [--force]
      send records to the server again (idempotent: the server keeps one copy of each seq).
      Stop the agent first (it holds the outbox lock and the node's connection), or pass --force.
`;

export interface OutboxCommandOptions {
  all?: boolean;
  from?: string;
  to?: string;
  format?: string;
  batch?: string;
  force?: boolean;
}

/** Writes one piece of output; resolves when the reader can take more. */
type Out = (s: string) => void | Promise<void>;

export async function runOutboxCommand(sub: string | undefined, loaded: LoadedAgentConfig, o: OutboxCommandOptions, out: Out): Promise<number> {
  const dir = path.join(loaded.dataDir, 'outbox');
  const inspection = await inspectOutbox(dir, { retainAcked: loaded.config.outbox.retain_acked });
  const range = {
    fromSeq: Math.max(seqOption(o.from, '--from') ?? 1, o.all ? 1 : inspection.stats.ackedSeq + 1),
    toSeq: seqOption(o.to, '--to') ?? Number.MAX_SAFE_INTEGER,
  };
  switch (sub) {
    case 'inspect': {
      const s = inspection.stats;
      await out(
        JSON.stringify(
          {
            dir,
            last_seq: s.lastSeq,
            acked_seq: s.ackedSeq,
            pending: s.pending,
            dropped: s.dropped,
            bytes: s.bytes,
            retain_acked: loaded.config.outbox.retain_acked,
            retained_acked: inspection.retained,
            torn_or_corrupt_records: s.discardedOnRecovery,
            problems: inspection.problems,
            segments: inspection.segments.map((g) => ({
              file: path.basename(g.path),
              first_seq: g.firstSeq,
              last_seq: g.lastSeq,
              records: g.count,
              bytes: g.bytes,
              acked: g.lastSeq <= s.ackedSeq,
            })),
            owner: inspection.lock ?? null,
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    case 'export': {
      const format = o.format ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'csv') throw new MaError(ErrorCode.InputInvalid, `--format: got "${format}", expected jsonl or csv`);
      if (format === 'csv') await out('seq,channel,ts,iso_time,value,sync,boot,mono\n');
      let n = 0;
      for await (const r of iterateRecords(dir, range)) {
        n++;
        if (format === 'jsonl') await out(JSON.stringify(r) + '\n');
        else await out(`${r.seq},${csv(r.ch)},${r.ts},${new Date(r.ts).toISOString()},${r.v},${r.sync ?? ''},${r.boot ?? ''},${r.mono ?? ''}\n`);
      }
      process.stderr.write(`exported ${n} record(s) from ${dir}\n`);
      return 0;
    }
    case 'replay':
      if (inspection.lock?.live && !o.force) {
        throw new MaError(ErrorCode.InputInvalid, `the agent (pid ${inspection.lock.pid}) is running and owns ${dir}; stop it first, or pass --force`);
      }
      return replay(loaded, dir, range, Number(o.batch ?? 500), out);
    default:
      throw new MaError(ErrorCode.InputInvalid, `unknown outbox command "${sub ?? ''}"; expected inspect, export or replay\n\n${OUTBOX_HELP}`);
  }
}

function seqOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new MaError(ErrorCode.InputInvalid, `${name}: got "${v}", expected a seq (a positive integer)`);
  return n;
}

function csv(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function replay(loaded: LoadedAgentConfig, dir: string, range: { fromSeq: number; toSeq: number }, batchMax: number, out: Out): Promise<number> {
  if (!Number.isSafeInteger(batchMax) || batchMax < 1 || batchMax > 5000) throw new MaError(ErrorCode.InputInvalid, `--batch: got ${batchMax}, expected 1..5000`);
  const { config } = loaded;
  const ca = config.server.ca_file ? await readFile(path.resolve(path.dirname(loaded.file), config.server.ca_file)) : undefined;
  const syncCheck = config.clock.sync_check;
  const clock = new SystemClock({
    check: 'file' in syncCheck ? { file: path.resolve(path.dirname(loaded.file), syncCheck.file) } : syncCheck,
    intervalMs: 60_000,
    log: silentLogger(),
  });
  await clock.check();
  const boot = bootId();
  const client = connect(config.server.mqtt_url, {
    clientId: `ma-replay-${config.node}-${process.pid}`,
    username: config.node,
    password: loaded.credential,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 15_000,
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (e) => reject(new MaError(ErrorCode.TransportConnectFailed, `cannot connect to ${config.server.mqtt_url}: ${e.message}`, { cause: e })));
  });
  let sent = 0;
  let held = 0;
  let batch: OutboxRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const readings: TelemetryBatch['readings'] = [];
    for (const r of batch) {
      const c = correctTimestamp(r, clock, boot);
      if ('hold' in c) {
        held++;
        continue;
      }
      readings.push({ seq: r.seq, ch: r.ch, ts: c.ts, v: r.v, ...(c.mapped || r.sync !== false ? {} : { sync: false }) });
    }
    batch = [];
    if (readings.length === 0) return;
    const payload: TelemetryBatch = { v: 1, readings };
    await new Promise<void>((resolve, reject) =>
      client.publish(topics.telemetry(config.node), JSON.stringify(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
    sent += readings.length;
  };
  try {
    for await (const r of iterateRecords(dir, range)) {
      batch.push(r);
      if (batch.length >= batchMax) await flush();
    }
    await flush();
  } finally {
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
  await out(`replayed ${sent} record(s) to ${config.server.mqtt_url}${held > 0 ? `; ${held} taken before the clock was synchronised are held until it is` : ''}\n`);
  return 0;
}
