import type { ChannelRow, NodeRow } from '../store/store.js';
import type { AlertRule } from './rule.js';

/** The names a label rule matches on a channel: its label, people-given label and `labels` values. */
export function channelLabels(c: ChannelRow): Set<string> {
  const out = new Set<string>();
  if (c.label) out.add(c.label);
  if (c.user_label) out.add(c.user_label);
  try {
    const labels = JSON.parse(c.labels_json) as Record<string, unknown>;
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v === 'string') out.add(v);
      // `{ "freezer": "" }` or `{ "role": "freezer" }` both tag a channel as a freezer.
      out.add(k);
    }
  } catch {
    // labels_json is written by the store from validated metadata; a bad one matches nothing.
  }
  return out;
}

/** Does the rule watch this channel? `tags` are the channel's node's tags. */
export function ruleMatchesChannel(rule: AlertRule, c: ChannelRow, node: Pick<NodeRow, 'name'>, tags: readonly string[] = []): boolean {
  const t = rule.target;
  if (t.node !== undefined && t.node !== node.name) return false;
  if (t.tag !== undefined && !tags.includes(t.tag)) return false;
  if (t.channel !== undefined && t.channel !== c.key) return false;
  if (t.label !== undefined && !channelLabels(c).has(t.label)) return false;
  return c.kind === 'sensor' || t.channel !== undefined;
}

/** Does the rule watch the node as a whole (no channel, no label; by name, tag or both)? */
export function ruleWatchesNode(rule: AlertRule, node: Pick<NodeRow, 'name'>, tags: readonly string[] = []): boolean {
  const t = rule.target;
  if (t.channel !== undefined || t.label !== undefined) return false;
  if (t.node === undefined && t.tag === undefined) return false;
  return (t.node === undefined || t.node === node.name) && (t.tag === undefined || tags.includes(t.tag));
}

/**
 * Which rules watch which channel, computed once per channel and kept until a rule or the
 * channel changes: a reading then costs one map lookup, not a scan of every rule.
 */
export class RuleIndex {
  #rules: AlertRule[] = [];
  readonly #byChannel = new Map<number, AlertRule[]>();

  get rules(): readonly AlertRule[] {
    return this.#rules;
  }

  setRules(rules: AlertRule[]): void {
    this.#rules = rules.filter((r) => r.enabled);
    this.#byChannel.clear();
  }

  forgetChannel(id: number): void {
    this.#byChannel.delete(id);
  }

  /** Node tags changed: every channel is matched afresh. */
  forgetAll(): void {
    this.#byChannel.clear();
  }

  forChannel(c: ChannelRow, node: Pick<NodeRow, 'name'>, tags: readonly string[] = []): AlertRule[] {
    let m = this.#byChannel.get(c.id);
    if (!m) {
      m = this.#rules.filter((r) => ruleMatchesChannel(r, c, node, tags));
      this.#byChannel.set(c.id, m);
    }
    return m;
  }
}
