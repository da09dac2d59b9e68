/**
 * The MQTT topic map. Every topic the system uses is built and parsed here, so agent,
 * server and tests agree on one spelling. `<n>` is the node's name (its stable slug).
 */

export const TOPIC_ROOT = 'ma/v1';

/** A node name: lowercase slug, used in topics, MQTT usernames and ssh host names. */
export const NODE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A channel key: unique within a node, e.g. `ds18b20/28-00000c1a748d` or `system/cpu_temp`. */
export const CHANNEL_KEY_PATTERN = /^[a-z0-9_][a-z0-9_.:/-]{0,127}$/i;

export type NodeTopicKind = 'telemetry' | 'events' | 'status' | 'state' | 'cmd' | 'cmd/result' | 'config';

export const topics = {
  telemetry: (node: string): string => `${TOPIC_ROOT}/${node}/telemetry`,
  events: (node: string): string => `${TOPIC_ROOT}/${node}/events`,
  status: (node: string): string => `${TOPIC_ROOT}/${node}/status`,
  state: (node: string, actuator: string): string => `${TOPIC_ROOT}/${node}/state/${actuator}`,
  cmd: (node: string): string => `${TOPIC_ROOT}/${node}/cmd`,
  cmdResult: (node: string): string => `${TOPIC_ROOT}/${node}/cmd/result`,
  config: (node: string): string => `${TOPIC_ROOT}/${node}/config`,
  /**
   * Server to node, retained: the node's signed allow-list (see allow-list.ts). Deliberately
   * not a kind `parseTopic` accepts, so a node can subscribe to it but never publish it.
   */
  allowList: (node: string): string => `${TOPIC_ROOT}/${node}/config/allow-list`,
  /**
   * Server to node: "this telemetry batch is committed". With an external broker a PUBACK
   * only means the broker has the message, so agents there advance their cursor on this.
   */
  ack: (node: string): string => `${TOPIC_ROOT}/${node}/ack`,
  /** Everything a node may touch: its own subtree. */
  nodeSubtree: (node: string): string => `${TOPIC_ROOT}/${node}/#`,
  /** Wildcards the server subscribes to. */
  allTelemetry: `${TOPIC_ROOT}/+/telemetry`,
  allEvents: `${TOPIC_ROOT}/+/events`,
  allStatus: `${TOPIC_ROOT}/+/status`,
  allCmdResults: `${TOPIC_ROOT}/+/cmd/result`,
  allStates: `${TOPIC_ROOT}/+/state/+`,
} as const;

export interface ParsedTopic {
  node: string;
  kind: NodeTopicKind;
  /** Actuator key for `state/<actuator>` topics. */
  actuator?: string;
}

/** Parses a topic under `ma/v1/`; returns undefined for anything that is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const node = parts[2]!;
  if (!NODE_NAME_PATTERN.test(node)) return undefined;
  const rest = parts.slice(3);
  const head = rest[0];
  if (rest.length === 1 && (head === 'telemetry' || head === 'events' || head === 'status' || head === 'cmd' || head === 'config')) {
    return { node, kind: head };
  }
  if (rest.length === 2 && head === 'cmd' && rest[1] === 'result') return { node, kind: 'cmd/result' };
  if (rest.length === 2 && head === 'state' && rest[1]) return { node, kind: 'state', actuator: rest[1] };
  return undefined;
}

/** True when `topic` lies inside node `node`'s own subtree (no wildcards allowed in publishes). */
export function isInNodeSubtree(node: string, topic: string): boolean {
  return topic.startsWith(`${TOPIC_ROOT}/${node}/`) && !topic.includes('+') && !topic.includes('#');
}

/** True when a subscription filter stays inside node `node`'s own subtree. */
export function isFilterInNodeSubtree(node: string, filter: string): boolean {
  const prefix = `${TOPIC_ROOT}/${node}/`;
  if (!filter.startsWith(prefix)) return false;
  return !filter.slice(0, prefix.length).includes('+');
}
