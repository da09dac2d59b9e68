import type { Command } from 'commander';
import { openStream } from '../api-client.js';
import { integerFlag } from '../options.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'pid', 'name', 'msg', 'hostname', 'v']);

/** One agent log line (pino JSON) as a person reads it: time, level, component, message, then the other fields. */
export function formatLogLine(line: string): string {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof j.time === 'number' ? new Date(j.time).toISOString().replace('T', ' ').slice(0, 23) : '';
  const level = LEVELS[Number(j.level)] ?? String(j.level ?? '');
  const rest = Object.entries(j).filter(([k]) => !SHOWN_ELSEWHERE.has(k));
  const extra = rest.length ? ` ${rest.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
  return `${time} ${level.padEnd(5)} ${String(j.name ?? '')}: ${String(j.msg ?? '')}${extra}`;
}

export function registerLogsCommand(program: Command, out: (s: string) => void): void {
  program
    .command('logs')
    .argument('<node>')
    .option('-n, --lines <n>', 'how many recent lines', '100')
    .option('-f, --follow', 'then keep printing new lines')
    .option('--json', 'print the raw JSON lines')
    .description("the agent's recent log lines, read through the server (needs admin or ssh on the node)")
    .action(async (node: string, opts: { lines: string; follow?: boolean; json?: boolean }) => {
      const { server, token } = program.opts<{ server: string; token?: string }>();
      const url = new URL(`api/v1/nodes/${encodeURIComponent(node)}/logs`, server.endsWith('/') ? server : `${server}/`);
      url.searchParams.set('lines', String(integerFlag('--lines', opts.lines, 0, 10_000)));
      if (opts.follow) url.searchParams.set('follow', 'true');
      const res = await openStream(url, token);
      const decoder = new TextDecoder();
      let partial = '';
      const reader = res.body.getReader();
      let printed = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        partial += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          if (line) {
            out(`${opts.json ? line : formatLogLine(line)}\n`);
            printed++;
          }
        }
      }
      // Said on stderr so `--json` output stays parseable.
      if (printed === 0) process.stderr.write(`no log lines from ${node}: the agent keeps its recent lines in memory, so none exist just after it starts\n`);
    });
}
