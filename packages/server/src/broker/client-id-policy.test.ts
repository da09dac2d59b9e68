import { describe, expect, it } from 'vitest';
import { ClientIdPolicy, reservedIdCandidates } from './client-id-policy.js';

describe('MQTT client id ownership', () => {
  const nodes = new Set(['cold', 'cold-room', 'manual']);
  const policy = () => new ClientIdPolicy(async (n) => nodes.has(n));

  it('reads the node names an ma-<role>-... id could belong to, longest first', () => {
    expect(reservedIdCandidates('ma-agent-cold-room')).toEqual(['cold-room', 'cold']);
    expect(reservedIdCandidates('ma-replay-manual-4242')).toEqual(['manual-4242', 'manual']);
    expect(reservedIdCandidates('mosquitto_sub_1')).toBeUndefined();
  });

  it('gives an id of our namespace to the node it names, even against a node whose name is a prefix', async () => {
    const p = policy();
    expect(await p.check('cold-room', 'ma-agent-cold-room')).toEqual({ ok: true });
    expect(await p.check('manual', 'ma-agent-cold-room')).toEqual({ ok: false, owner: 'cold-room' });
    expect(await p.check('cold', 'ma-agent-cold-room')).toEqual({ ok: false, owner: 'cold-room' });
    expect(await p.check('cold', 'ma-agent-cold')).toEqual({ ok: true });
    expect(await p.check('manual', 'ma-replay-manual-4242')).toEqual({ ok: true });
    expect(await p.check('manual', 'ma-agent-nobody')).toEqual({ ok: false, owner: undefined });
  });

  it('binds any other id to the first node that used it, until its clean session ends', async () => {
    const p = policy();
    expect(await p.check('manual', 'tool-1')).toEqual({ ok: true });
    p.bind('manual', 'tool-1');
    expect(await p.check('cold', 'tool-1')).toEqual({ ok: false, owner: 'manual' });
    expect(await p.check('manual', 'tool-1')).toEqual({ ok: true });
    p.release('cold', 'tool-1'); // not the owner: no effect
    expect(await p.check('cold', 'tool-1')).toEqual({ ok: false, owner: 'manual' });
    p.release('manual', 'tool-1');
    expect(await p.check('cold', 'tool-1')).toEqual({ ok: true });
  });
});
