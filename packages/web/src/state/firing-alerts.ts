/**
 * What is firing now, for the header count, the node cards and the node page. One poll for the whole app
 * (every 5 s while the alerts feature is on, and at once when the page becomes visible again); the Alerts
 * page has its own fuller view.
 */
import { useEffect, useState } from 'preact/hooks';
import { listAlerts, type AlertView } from '../pages/alerts-api';

const POLL_MS = 5000;

export interface FiringAlerts {
  alerts: readonly AlertView[];
  /** firing alerts by node name */
  byNode: ReadonlyMap<string, readonly AlertView[]>;
}

const EMPTY: FiringAlerts = { alerts: [], byNode: new Map() };
let snapshot: FiringAlerts = EMPTY;
const listeners = new Set<(s: FiringAlerts) => void>();
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

export function summarize(alerts: readonly AlertView[]): FiringAlerts {
  const firing = alerts.filter((a) => a.state === 'firing').sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.since - a.since);
  const byNode = new Map<string, AlertView[]>();
  for (const a of firing) (byNode.get(a.node) ?? byNode.set(a.node, []).get(a.node)!).push(a);
  return { alerts: firing, byNode };
}

async function refresh(): Promise<void> {
  try {
    snapshot = summarize(await listAlerts('state=firing'));
    for (const l of listeners) l(snapshot);
  } catch {
    // keep the last answer; the Alerts page shows errors
  }
}

const onVisible = (): void => {
  if (document.visibilityState === 'visible') void refresh();
};

/** Firing alerts, kept current while any component uses them; `enabled` false (no alerts feature): none. */
export function useFiringAlerts(enabled: boolean): FiringAlerts {
  const [state, setState] = useState(snapshot);
  useEffect(() => {
    if (!enabled) return;
    listeners.add(setState);
    if (users++ === 0) {
      void refresh();
      timer = setInterval(() => void refresh(), POLL_MS);
      document.addEventListener('visibilitychange', onVisible);
    }
    return () => {
      listeners.delete(setState);
      if (--users === 0) {
        clearInterval(timer);
        document.removeEventListener('visibilitychange', onVisible);
      }
    };
  }, [enabled]);
  return enabled ? state : EMPTY;
}

/** After acknowledging or a rule change: ask again now rather than in 5 s. */
export const refreshFiringAlerts = (): Promise<void> => refresh();
