import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ErrorCode, MaError, type ImportChannelMeta, type ImportReadingsRequest, type ImportReadingsResponse } from '@ma/protocol';
import type { ApiClient } from '../api-client.js';
import { integerFlag } from '../options.js';
import { checkZone, csvColumns, formatFromPath, parseCsvLine, parseJsonLine, parseLegacyLine, type CsvColumns, type ImportFormat, type ParsedLine } from '../import/parse.js';

/** Readings per request: one server transaction each, far below the API's 10,000 and its body limit. */
const DEFAULT_BATCH = 5000;

export interface ImportSummary {
  file: string;
  node: string;
  format: ImportFormat;
  dry_run: boolean;
  lines: number;
  imported: number;
  duplicates: number;
  /** `'value': None` (or null/empty): the original system failed to read the sensor. */
  failed_reads: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
  /** The first rejected lines, with their numbers (all of them with --rejects). */
  rejected_lines: Array<{ line: number; reason: string; text: string }>;
  channels_created: string[];
}

interface ImportOptions {
  node: string;
  format?: ImportFormat;
  tz: string;
  dryRun?: boolean;
  batch: string;
  json?: boolean;
  show: string;
}

export function registerImportCommand(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  program
    .command('import')
    .argument('<file>', 'a temperature.log of the original system, or CSV / JSON lines as `ma export` writes them')
    .requiredOption('-n, --node <name>', 'the node the readings belong to (it must exist: `ma node add`)')
    .option('-f, --format <format>', 'legacy (the original Python logging lines), csv or jsonl; default: from the file name')
    .option('--tz <zone>', "time zone of the legacy log's times, which carry none (IANA name, e.g. Europe/Prague)", 'UTC')
    .option('--dry-run', 'read everything and ask the server what would be new; store nothing')
    .option('--batch <n>', 'readings per request', String(DEFAULT_BATCH))
    .option('--show <n>', 'rejected lines to print (line number and why)', '20')
    .option('--json', 'print the summary as JSON')
    .description("import old readings into a node, exactly once: a reading the node's channel already has at that time is skipped (needs admin or the node's admin grant)")
    .action(async (file: string, opts: ImportOptions) => {
      const format = opts.format ?? formatFromPath(file);
      if (format === undefined) throw new MaError(ErrorCode.InputInvalid, `${file}: cannot tell the format from the name; pass --format legacy, csv or jsonl`);
      if (!['legacy', 'csv', 'jsonl'].includes(format)) throw new MaError(ErrorCode.InputInvalid, `--format: got ${JSON.stringify(format)}, expected legacy, csv or jsonl`);
      try {
        checkZone(opts.tz);
      } catch {
        throw new MaError(ErrorCode.InputInvalid, `--tz: got ${JSON.stringify(opts.tz)}, expected an IANA time zone such as UTC or Europe/Prague`);
      }
      const summary = await importFile(client(), file, {
        node: opts.node,
        format,
        zone: opts.tz,
        dryRun: opts.dryRun === true,
        batch: integerFlag('--batch', opts.batch, 1, 10_000),
        show: integerFlag('--show', opts.show, 0, 1_000_000),
        progress: process.stderr.isTTY === true && opts.json !== true,
      });
      if (opts.json) {
        out(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      for (const r of summary.rejected_lines) process.stderr.write(`${file}:${r.line}: rejected: ${r.reason}: ${r.text.slice(0, 120)}\n`);
      if (summary.rejected > summary.rejected_lines.length) process.stderr.write(`... and ${summary.rejected - summary.rejected_lines.length} more rejected lines (--show to list more)\n`);
      const verb = summary.dry_run ? 'would import' : 'imported';
      out(
        `${verb} ${summary.imported} readings into ${summary.node}; ${summary.duplicates} duplicates skipped, ` +
          `${summary.failed_reads} failed reads skipped, ${summary.rejected} lines rejected (of ${summary.lines})\n`,
      );
      for (const [reason, n] of Object.entries(summary.rejected_by_reason).sort((a, b) => b[1] - a[1])) out(`  rejected ${n}: ${reason}\n`);
      if (summary.channels_created.length) out(`${summary.dry_run ? 'would create' : 'created'} channels: ${summary.channels_created.join(', ')}\n`);
    });
}

/**
 * Streams the file line by line (memory stays flat for any size), sending batches one at a
 * time, so a rerun after a failure simply continues: what was stored is a duplicate.
 */
export async function importFile(
  api: ApiClient,
  file: string,
  o: { node: string; format: ImportFormat; zone: string; dryRun: boolean; batch: number; show: number; progress: boolean },
): Promise<ImportSummary> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new MaError(ErrorCode.InputInvalid, `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  // Fails early, before reading, when the node is missing or the token may not import into it.
  await api.request('GET', `api/v1/nodes/${encodeURIComponent(o.node)}`);

  const s: ImportSummary = {
    file,
    node: o.node,
    format: o.format,
    dry_run: o.dryRun,
    lines: 0,
    imported: 0,
    duplicates: 0,
    failed_reads: 0,
    rejected: 0,
    rejected_by_reason: {},
    rejected_lines: [],
    channels_created: [],
  };
  const bar = o.progress ? new cliProgress.SingleBar({ format: 'importing |{bar}| {percentage}% | {lines} lines, {imported} new, {duplicates} duplicate, {rejected} rejected', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(size, 0, { lines: 0, imported: 0, duplicates: 0, rejected: 0 });

  let batch: ImportReadingsRequest['readings'] = [];
  let metas: Record<string, ImportChannelMeta> = {};
  const created = new Set<string>();
  const flush = async () => {
    if (batch.length === 0) return;
    const body: ImportReadingsRequest = { readings: batch, channels: metas, ...(o.dryRun ? { dry_run: true } : {}) };
    const r = await api.request<ImportReadingsResponse>('POST', `api/v1/nodes/${encodeURIComponent(o.node)}/import`, body);
    s.imported += r.imported;
    s.duplicates += r.duplicates;
    for (const c of r.channels_created) created.add(c);
    batch = [];
    metas = {};
  };

  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let cols: CsvColumns | undefined;
  for await (const line of lines) {
    s.lines++;
    let parsed: ParsedLine;
    if (o.format === 'csv' && cols === undefined) {
      const c = csvColumns(line);
      if (typeof c === 'string') throw new MaError(ErrorCode.InputInvalid, `${file}:1: ${c}`);
      cols = c;
      continue;
    }
    if (o.format === 'legacy') parsed = parseLegacyLine(line, o.zone);
    else if (o.format === 'csv') parsed = parseCsvLine(line, cols!);
    else parsed = parseJsonLine(line);

    if (parsed.kind === 'reading') {
      batch.push({ channel: parsed.channel, ts: parsed.ts, value: parsed.value });
      if (parsed.meta && !(parsed.channel in metas)) metas[parsed.channel] = parsed.meta;
      if (batch.length >= o.batch) await flush();
    } else if (parsed.kind === 'failed') {
      s.failed_reads++;
    } else if (parsed.kind === 'rejected') {
      s.rejected++;
      const kind = reasonKind(parsed.reason);
      s.rejected_by_reason[kind] = (s.rejected_by_reason[kind] ?? 0) + 1;
      if (s.rejected_lines.length < o.show) s.rejected_lines.push({ line: s.lines, reason: parsed.reason, text: line });
    }
    if (bar && s.lines % 1000 === 0) bar.update(stream.bytesRead, { lines: s.lines, imported: s.imported, duplicates: s.duplicates, rejected: s.rejected });
  }
  await flush();
  bar?.update(size, { lines: s.lines, imported: s.imported, duplicates: s.duplicates, rejected: s.rejected });
  bar?.stop();
  s.channels_created = [...created].sort();
  return s;
}

/** Groups reasons for the summary: the details (columns, values) stay on the per-line report. */
function reasonKind(reason: string): string {
  return reason
    .split(': ')[0]!
    .replace(/"(?:[^"\\]|\\.)*"/g, '…')
    .replace(/\d+/g, 'N');
}
