import type { NotificationEvent } from '../store/alerts-store.js';
import type { Severity } from '../alerts/rule.js';

/**
 * One notification's content, rendered once when it is queued and stored in the delivery log,
 * so what was sent can be read back and a retry sends the same words.
 */
export interface AlertMessage {
  alert_id: number;
  rule_id: number;
  rule: string;
  event: NotificationEvent;
  severity: Severity;
  /** 'firing' or 'resolved': the alert's state the message reports. */
  state: 'firing' | 'resolved';
  /** Detected only after the fact (a backlog delivered late): the times are when it happened. */
  late: boolean;
  /** What is wrong, e.g. "temperature above -15 °C for 10 min". */
  what: string;
  /** Where: node and channel as people name them. */
  node: string;
  channel: string | null;
  value: number | null;
  unit: string;
  /** When the condition began (reading time), when it fired and, when resolved, when it cleared. */
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  /** How long it has lasted (or lasted), in ms. */
  duration_ms: number;
  chart_url: string | null;
  /** A link that acknowledges the alert (firing messages only). */
  ack_url: string | null;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function subjectLine(m: AlertMessage): string {
  const where = m.channel ? `${m.node} / ${m.channel}` : m.node;
  const tag = m.state === 'resolved' ? 'RESOLVED' : m.event === 'escalation' ? `ESCALATED ${m.severity.toUpperCase()}` : m.severity.toUpperCase();
  return `[${tag}]${m.late ? ' (late-detected)' : ''} ${m.rule}: ${where}`;
}

/** The plain-text body, shared by email, chat and ntfy. */
export function plainText(m: AlertMessage): string {
  const where = m.channel ? `${m.node}, ${m.channel}` : m.node;
  const value = m.value === null ? 'no value' : `${m.value}${m.unit ? ` ${m.unit}` : ''}`;
  const lines = [
    m.state === 'resolved' ? `Resolved: ${m.what}` : `${m.event === 'repeat' ? 'Still firing' : m.event === 'escalation' ? 'Not acknowledged, escalated' : 'Firing'}: ${m.what}`,
    `Where: ${where}`,
    `Current value: ${value}`,
    m.state === 'resolved'
      ? `Lasted ${formatDuration(m.duration_ms)} (from ${iso(m.since)} to ${iso(m.resolved_at ?? m.since)})`
      : `For ${formatDuration(m.duration_ms)} (since ${iso(m.since)})`,
  ];
  if (m.late) lines.push('Detected late: the readings arrived after the fact (a node delivering its backlog); the times above are when it happened.');
  if (m.chart_url) lines.push(`Chart: ${m.chart_url}`);
  if (m.ack_url) lines.push(`Acknowledge: ${m.ack_url}`);
  return lines.join('\n');
}
