import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RejectLog } from './reject-log.js';

function capture() {
  const lines: Array<{ node: string; reason: string }> = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as { node: string; reason: string }) });
  return { lines, log };
}

describe('RejectLog', () => {
  it('logs a reason once per node, again when the reason changes or after the quiet period', () => {
    const { lines, log } = capture();
    const r = new RejectLog(log, 1000);
    r.reject('n1', 'bad json', 0);
    r.reject('n1', 'bad json', 10);
    r.reject('n1', 'bad json', 20);
    r.reject('n2', 'bad json', 30);
    r.reject('n1', 'wrong topic', 40);
    r.reject('n1', 'wrong topic', 2000);
    expect(lines.map((l) => `${l.node}:${l.reason}`)).toEqual(['n1:bad json', 'n2:bad json', 'n1:wrong topic', 'n1:wrong topic']);
  });
});
