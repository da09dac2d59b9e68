import { describe, expect, it } from 'vitest';
import { formatNodeStatus } from './status.js';

describe('ma status: the outbox line', () => {
  const at = Date.parse('2026-12-02T06:00:00.000Z');
  const response = (ts: number | undefined) => ({
    node: 'cold-room',
    online: true,
    last_seen: at,
    status: { v: 1 as const, state: 'online' as const, ...(ts ? { ts } : {}), outbox: { pending: 508, dropped: 3 } },
  });

  it('says when the counts were sampled: the status (heartbeat) they came with', () => {
    const text = formatNodeStatus(response(at), at + 25_000);
    expect(text).toMatch(/outbox +508 unsent, 3 dropped, as of 2026-12-02T06:00:00.000Z \(25 s ago\)/);
  });

  it('calls counts sampled within the last second fresh, and older ones by minutes', () => {
    expect(formatNodeStatus(response(at), at + 300)).toMatch(/\(just now\)/);
    expect(formatNodeStatus(response(at), at + 10 * 60_000)).toMatch(/\(10 min ago\)/);
  });

  it('says so when a status carries no sample time', () => {
    expect(formatNodeStatus(response(undefined), at)).toMatch(/outbox +508 unsent, 3 dropped \(sample time unknown\)/);
  });
});
