import type { AlertRow } from '../store/alerts-store.js';
import type { SeriesState } from './evaluators.js';
import type { AlertRule } from './rule.js';

/** One rule's view of one channel or node: the series state machine and its open alert. */
export interface Subject {
  key: string;
  rule: AlertRule;
  nodeId: number;
  channelId: number | null;
  series: SeriesState;
  alert: AlertRow | null;
  /** Fault rules: the last time the fault was reported. */
  lastFaultAt: number;
}

/** `ch:<channel id>` or `node:<node id>`: what an alert is about. */
export const subjectOf = (channelId: number | null, nodeId: number): string => (channelId === null ? `node:${nodeId}` : `ch:${channelId}`);
