import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ErrorCode, MaError } from '@ma/protocol';
import { openStream } from '../api-client.js';

interface ExportOptions {
  node?: string;
  channel?: string[];
  from?: string;
  to?: string;
  format: string;
  output?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerExportCommand(program: Command, out: (s: string) => void): void {
  program
    .command('export')
    .option('-n, --node <name>', "every channel of this node (with --channel: only those, which must be the node's)")
    .option('-c, --channel <id>', 'a channel id (repeatable)', collect)
    .option('--from <time>', 'start: ms since the epoch or ISO 8601 (default: the beginning)')
    .option('--to <time>', 'end, exclusive: ms since the epoch or ISO 8601 (default: now)')
    .option('-f, --format <format>', 'csv or jsonl', 'csv')
    .option('-o, --output <file>', 'write here instead of stdout')
    .description('every stored reading of a node or channels in a time range, streamed as CSV or JSON lines (what `ma import` reads back)')
    .action(async (opts: ExportOptions) => {
      if (!opts.node && !opts.channel) throw new MaError(ErrorCode.InputInvalid, 'give --node <name> or --channel <id> (repeatable), or both');
      if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new MaError(ErrorCode.InputInvalid, `--format: got ${JSON.stringify(opts.format)}, expected csv or jsonl`);
      for (const c of opts.channel ?? []) if (!/^[1-9]\d*$/.test(c)) throw new MaError(ErrorCode.InputInvalid, `--channel: got ${JSON.stringify(c)}, expected a channel id (a positive integer; see \`ma node show\`)`);
      const { server, token } = program.opts<{ server: string; token?: string }>();
      const url = new URL('api/v1/export', server.endsWith('/') ? server : `${server}/`);
      if (opts.node) url.searchParams.set('node', opts.node);
      for (const c of opts.channel ?? []) url.searchParams.append('channel', c);
      if (opts.from) url.searchParams.set('from', opts.from);
      if (opts.to) url.searchParams.set('to', opts.to);
      url.searchParams.set('format', opts.format);

      const res = await openStream(url, token);
      const total = Number(res.headers.get('x-ma-export-rows') ?? '0');
      const file: WriteStream | undefined = opts.output ? createWriteStream(opts.output) : undefined;
      // The bar goes to stderr, and only on a terminal, so piped output stays clean.
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'exporting |{bar}| {percentage}% | {value}/{total} readings', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(total, 0);
      let rows = opts.format === 'csv' ? -1 : 0; // the CSV header is not a reading
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const b of value) if (b === 10) rows++;
        if (file) {
          if (!file.write(value)) await once(file, 'drain');
        } else {
          out(decoder.decode(value, { stream: true }));
        }
        bar?.update(Math.max(rows, 0));
      }
      bar?.stop();
      if (file) {
        file.end();
        await once(file, 'finish');
        process.stderr.write(`wrote ${Math.max(rows, 0)} readings to ${opts.output}\n`);
      }
    });
}
