import { describe, expect, it } from 'vitest';
import { actuatorStateSchema, commandEnvelopeSchema, commandResultSchema, commandSchema } from './equipment.js';
import { eventBatchSchema } from './schemas.js';
import { parseTopic, topics } from './topics.js';

const now = 1_800_000_000_000;

describe('equipment commands', () => {
  it('parses an actuate command with its expiry, who and why', () => {
    const cmd = commandSchema.parse({ v: 1, id: 'c1', issued_at: now, expires_at: now + 10_000, kind: 'actuate', actuator: 'laser_plug', value: 'on', by: 'ada', reason: 'job 42' });
    expect(cmd.kind).toBe('actuate');
  });

  it('refuses a bad value, an actuator key that is not one topic level, and a missing reason', () => {
    const base = { v: 1, id: 'c1', issued_at: now, expires_at: now + 10_000, kind: 'actuate', actuator: 'laser_plug', value: 'on', by: 'ada', reason: 'x' };
    expect(commandSchema.safeParse({ ...base, value: 'maybe' }).success).toBe(false);
    expect(commandSchema.safeParse({ ...base, actuator: 'a/b' }).success).toBe(false);
    expect(commandSchema.safeParse({ ...base, reason: undefined }).success).toBe(false);
  });

  it('reads the envelope of a kind this version does not know, so the node can refuse it by id', () => {
    const raw = { v: 1, id: 'c9', issued_at: now, expires_at: now + 1, kind: 'capture', camera: 'door' };
    expect(commandSchema.safeParse(raw).success).toBe(false);
    expect(commandEnvelopeSchema.parse(raw).id).toBe('c9');
  });

  it('fills session defaults in an access decision', () => {
    const cmd = commandSchema.parse({ v: 1, id: 'd1', issued_at: now, expires_at: now + 300, kind: 'access_decision', scan_id: 's1', equipment: 'laser_cutter', allow: true, reason: 'trained', session: { model: 'timed', minutes: 30 } });
    expect(cmd.kind === 'access_decision' && cmd.session?.model === 'timed' && cmd.session.coast_down_s).toBe(0);
  });
});

describe('results and state', () => {
  it('a refusal names the rule', () => {
    const r = commandResultSchema.parse({ v: 1, id: 'c1', outcome: 'refused', code: 'interlock', rule: 'enclosure_door == 0', message: 'enclosure_door is open', state: 'off', ts: now });
    expect(r.rule).toBe('enclosure_door == 0');
  });
  it('state distinguishes unreachable from off', () => {
    const s = actuatorStateSchema.parse({ v: 1, actuator: 'laser_plug', state: 'unreachable', commanded: 'on', read_back: null, since: now, ts: now, lockout: null, fault: { code: 'unreachable', message: 'timeout', since: now } });
    expect(s.state).toBe('unreachable');
  });
});

describe('events batches', () => {
  it('carry equipment events alone or beside agent events', () => {
    const scan = { type: 'rfid_scan', ts: now, scan_id: 's1', reader: 'door', card_id: '0004718245' };
    expect(eventBatchSchema.safeParse({ v: 1, events: [], equipment: [scan] }).success).toBe(true);
    expect(eventBatchSchema.safeParse({ v: 1, events: [{ ts: now, type: 'agent_started' }], equipment: [scan] }).success).toBe(true);
  });
  it('an empty batch is refused', () => {
    expect(eventBatchSchema.safeParse({ v: 1, events: [] }).success).toBe(false);
    expect(eventBatchSchema.safeParse({ v: 1, events: [], equipment: [] }).success).toBe(false);
  });
  it('a raw card id must be digits and uppercase letters', () => {
    expect(eventBatchSchema.safeParse({ v: 1, events: [], equipment: [{ type: 'rfid_scan', ts: now, scan_id: 's', reader: 'r', card_id: '12 34' }] }).success).toBe(false);
  });
});

describe('allow-list topic', () => {
  it('is under the node subtree but never a topic a node may publish to', () => {
    expect(topics.allowList('n1')).toBe('ma/v1/n1/config/allow-list');
    expect(parseTopic(topics.allowList('n1'))).toBeUndefined();
  });
});
