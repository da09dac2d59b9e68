import { describe, expect, it } from 'vitest';
import { isFilterInNodeSubtree, isInNodeSubtree, parseTopic, topics } from './topics.js';

describe('topic map', () => {
  it('builds and parses every node topic', () => {
    expect(parseTopic(topics.telemetry('fridge-pi'))).toEqual({ node: 'fridge-pi', kind: 'telemetry' });
    expect(parseTopic(topics.cmdResult('n1'))).toEqual({ node: 'n1', kind: 'cmd/result' });
    expect(parseTopic(topics.state('n1', 'relay1'))).toEqual({ node: 'n1', kind: 'state', actuator: 'relay1' });
  });

  it('rejects foreign or malformed topics', () => {
    expect(parseTopic('ma/v2/n1/telemetry')).toBeUndefined();
    expect(parseTopic('ma/v1/N1/telemetry')).toBeUndefined();
    expect(parseTopic('ma/v1/n1/telemetry/extra')).toBeUndefined();
    expect(parseTopic('ma/v1/n1/unknown')).toBeUndefined();
  });

  it('confines a node to its own subtree', () => {
    expect(isInNodeSubtree('n1', 'ma/v1/n1/telemetry')).toBe(true);
    expect(isInNodeSubtree('n1', 'ma/v1/n10/telemetry')).toBe(false);
    expect(isInNodeSubtree('n1', 'ma/v1/n2/telemetry')).toBe(false);
    expect(isFilterInNodeSubtree('n1', 'ma/v1/n1/#')).toBe(true);
    expect(isFilterInNodeSubtree('n1', 'ma/v1/+/cmd')).toBe(false);
    expect(isFilterInNodeSubtree('n1', 'ma/v1/#')).toBe(false);
  });
});
