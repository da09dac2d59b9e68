/** The alerts API as the dashboard uses it (shapes of /api/v1/alert*). */
import { api } from '../auth/session';

export interface AlertView {
  id: number;
  rule_id: number;
  node: string;
  channel_id: number | null;
  state: 'pending' | 'firing' | 'resolved';
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  duration_ms: number;
  late: boolean;
  value: number | null;
  peak: number | null;
  acked_at: number | null;
  acked_by: string | null;
  ack_note: string | null;
}

export interface Episode {
  since: number;
  fired_at: number;
  resolved_at: number | null;
  peak: number;
}

export interface PreviewChannel {
  channel: number;
  node: string;
  key: string;
  readings: number;
  truncated: boolean;
  episodes: Episode[];
}

export interface RuleView {
  id: number;
  name: string;
  severity: string;
  enabled: boolean;
  target: { node?: string; channel?: string; label?: string; tag?: string };
  condition: Record<string, unknown> & { type: string };
}

export const listAlerts = (query: string) => api<{ alerts: AlertView[] }>('GET', `/alerts?${query}`).then((r) => r.alerts);
export const ackAlert = (id: number, note: string) => api<AlertView>('POST', `/alerts/${id}/ack`, note ? { note } : {});
export const listRules = () => api<{ rules: RuleView[] }>('GET', '/alert-rules').then((r) => r.rules);
export const createRule = (rule: unknown) => api<RuleView>('POST', '/alert-rules', rule);
export const deleteRule = (id: number) => api('DELETE', `/alert-rules/${id}`);
export const previewRule = (rule: unknown, signal?: AbortSignal) =>
  fetch('/api/v1/alert-rules/preview', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ rule }), ...(signal ? { signal } : {}) }).then(async (r) => {
    const body = (await r.json()) as { channels?: PreviewChannel[]; error?: { message: string } };
    if (!r.ok) throw new Error(body.error?.message ?? String(r.status));
    return body.channels ?? [];
  });


export interface SilenceView {
  id: number;
  rule_id: number | null;
  node: string | null;
  ends_at: number;
  reason: string;
  created_by: string;
}

export const listSilences = () => api<{ silences: SilenceView[] }>('GET', '/alert-silences').then((r) => r.silences);
export const createSilence = (s: { node?: string; rule?: number; duration: string; reason: string }) => api<SilenceView>('POST', '/alert-silences', s);
export const endSilence = (id: number) => api('DELETE', `/alert-silences/${id}`);
