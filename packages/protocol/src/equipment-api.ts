import type { ActuatorState, LockoutMode, SessionModel } from './equipment.js';
import type { EquipmentEvent } from './equipment-events.js';

/**
 * HTTP and live-feed shapes of equipment, people, cards, trainings and usage (the server's
 * routes/equipment*.ts, the dashboard's equipment pages, the CLI).
 */

export interface LockoutView {
  id: number;
  mode: LockoutMode;
  reason: string;
  set_by: string;
  set_at: number;
}

export interface EquipmentActuatorView {
  node: string;
  actuator: string;
  power_channel: string | null;
  /** As the node last reported it (`unknown` before it has). */
  state: string;
  power_w: number | null;
  fault: { code: string; message: string; since: number } | null;
  /** The node's own copy of the lock-out; `pending` while a maintenance lock-out waits for idle. */
  node_lockout: { mode: LockoutMode; pending: boolean } | null;
}

export interface PersonRef {
  id: number;
  name: string;
}

export interface EquipmentView {
  id: number;
  name: string;
  display_name: string;
  rule: {
    access: { groups: string[]; people: string[]; users: string[]; trained: boolean };
    schedule?: { timezone?: string | undefined; windows: Array<{ days: string[]; from: string; to: string; groups: string[] }> } | undefined;
    session: SessionModel;
    fail_secure: boolean;
    entry_ttl: number;
  };
  actuators: EquipmentActuatorView[];
  trainers: PersonRef[];
  maintainers: PersonRef[];
  lockout: LockoutView | null;
  /** The session running now; `person` is null for people without admin on its node. */
  in_use: { since: number; person: string | null; source: string } | null;
  /** How many of this equipment's nodes hold the current allow-list. */
  reach: { reached: number; total: number };
}

export interface TrainingView {
  person: PersonRef;
  equipment: string;
  granted_by: string;
  granted_at: number;
  expires_at: number | null;
  lapse_days: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  /** When it stops counting (expiry or lapse, whichever is first); null: never. */
  valid_until: number | null;
  status: 'valid' | 'expired' | 'lapsed' | 'revoked';
}

export interface CardView {
  id: number;
  last4: string;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface PersonView {
  id: number;
  name: string;
  email: string | null;
  user: string | null;
  groups: string[];
  disabled: boolean;
  cards: CardView[];
}

export interface SwitchResponse {
  id: string;
  node: string;
  actuator: string;
  value: 'on' | 'off';
  state: string;
  outcome: string;
  code: string;
  message: string | null;
  elapsed_ms: number;
}

export interface UsageResponse {
  from: number;
  to: number;
  /** 7 x 24 hours (Monday first, the equipment's or server's time zone): minutes in use. */
  hour_of_week: number[][];
  /** Per equipment per ISO week: share of the week in use (0..1). */
  utilisation: Array<{ equipment: string; week: string; in_use_ms: number; share: number }>;
  /** Names only for callers with admin on every node of the equipment; otherwise aggregates only. */
  sessions: Array<{ id: number; equipment: string; person: string | null; started_at: number; ended_at: number | null; duration_ms: number | null; energy_wh: number | null; source: string; end_reason: string | null }>;
  totals: Array<{ equipment: string; sessions: number; in_use_ms: number; energy_wh: number | null; people: number }>;
}

export interface DecisionView {
  scan_id: string;
  equipment: string | null;
  card_last4: string;
  person: string | null;
  allow: boolean;
  reason: string;
  source: 'server' | 'cache';
  at: number;
  latency_ms?: number;
}

/** What the live feed carries about equipment. */
export type EquipmentLiveEvent =
  | { kind: 'decision'; decision: DecisionView }
  | { kind: 'state'; state: ActuatorState }
  | { kind: 'event'; event: EquipmentEvent }
  | { kind: 'lockout'; equipment: string; lockout: LockoutView | null };
