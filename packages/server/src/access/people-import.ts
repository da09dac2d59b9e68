import { parseDuration } from '@ma/protocol';
import { parse } from 'csv-parse/sync';
import { hashCard } from './access-keys.js';
import type { PeopleStore } from './people-store.js';
import type { TrainingsStore } from './trainings-store.js';
import type { EquipmentStore } from '../equipment/equipment-store.js';

/**
 * Bulk import of people, cards and trainings from CSV. One row per person, card or training;
 * a person's name may repeat to give several cards or trainings. Columns (header row required,
 * any order): `name` (required), `email`, `user` (an MA login to link), `groups` (separated by
 * `;`), `card` (the card id as the reader gives it), `card_label`, `equipment` (a training on
 * it), `training_expires` (`never`, a date such as 2027-06-30, or a duration such as `365d`),
 * `lapse_days`. Every row is checked first; with any error nothing is written.
 */
export const IMPORT_COLUMNS = ['name', 'email', 'user', 'groups', 'card', 'card_label', 'equipment', 'training_expires', 'lapse_days'] as const;

export interface ImportSummary {
  dry_run: boolean;
  rows: number;
  people_created: number;
  people_updated: number;
  cards_added: number;
  cards_unchanged: number;
  trainings_granted: number;
  errors: Array<{ line: number; message: string }>;
  applied: boolean;
}

export interface ImportDeps {
  people: PeopleStore;
  trainings: TrainingsStore;
  equipment: EquipmentStore;
  cardKey: string;
  findUser(name: string): Promise<{ id: number } | undefined>;
}

type Row = Partial<Record<(typeof IMPORT_COLUMNS)[number], string>>;

interface Planned {
  line: number;
  name: string;
  email?: string | undefined;
  user_id?: number | undefined;
  groups?: string[] | undefined;
  card?: { card_hash: string; last4: string; label: string | null } | undefined;
  training?: { equipment_id: number; expires_at: number | null; lapse_days: number | null } | undefined;
}

export async function importPeople(csv: string, opts: { dryRun: boolean; actor: string; now?: number }, deps: ImportDeps): Promise<ImportSummary> {
  const now = opts.now ?? Date.now();
  const summary: ImportSummary = { dry_run: opts.dryRun, rows: 0, people_created: 0, people_updated: 0, cards_added: 0, cards_unchanged: 0, trainings_granted: 0, errors: [], applied: false };
  let records: Row[];
  try {
    records = parse(csv, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true }) as Row[];
  } catch (e) {
    summary.errors.push({ line: Number((e as { lines?: number }).lines ?? 1), message: `not readable as CSV: ${(e as Error).message}` });
    return summary;
  }
  const header = csv.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]!.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const unknown = header.filter((c) => c && !(IMPORT_COLUMNS as readonly string[]).includes(c));
  if (!header.includes('name')) summary.errors.push({ line: 1, message: `the header has no "name" column; columns are ${IMPORT_COLUMNS.join(', ')}` });
  if (unknown.length) summary.errors.push({ line: 1, message: `unknown column(s) ${unknown.join(', ')}; columns are ${IMPORT_COLUMNS.join(', ')}` });
  summary.rows = records.length;

  const plan: Planned[] = [];
  const seenCards = new Map<string, string>();
  for (const [i, r] of records.entries()) {
    const line = i + 2;
    const err = (message: string) => summary.errors.push({ line, message });
    const name = r.name ?? '';
    if (!name) {
      err('name: empty; every row names its person');
      continue;
    }
    if (name.length > 128) err('name: longer than 128 characters');
    const p: Planned = { line, name };
    if (r.email) p.email = r.email;
    if (r.groups) p.groups = r.groups.split(';').map((g) => g.trim()).filter(Boolean);
    if (r.user) {
      const u = await deps.findUser(r.user);
      if (!u) err(`user: no MA user named ${JSON.stringify(r.user)}`);
      else p.user_id = u.id;
    }
    if (r.card) {
      try {
        const h = hashCard(deps.cardKey, r.card);
        const other = seenCards.get(h.card_hash);
        if (other && other !== name) err(`card ending ${h.last4}: also given to ${other} in this file`);
        seenCards.set(h.card_hash, name);
        const existing = await deps.people.cardByHash(h.card_hash);
        if (existing) {
          const owner = await deps.people.get(existing.person_id);
          if (owner?.name !== name) err(`card ending ${h.last4}: already enrolled to ${owner?.name ?? 'someone else'}`);
        }
        p.card = { ...h, label: r.card_label || null };
      } catch (e) {
        err((e as Error).message);
      }
    }
    if (r.equipment) {
      const eq = await deps.equipment.getByName(r.equipment);
      if (!eq) err(`equipment: no equipment named ${JSON.stringify(r.equipment)}`);
      let expires_at: number | null = null;
      const exp = r.training_expires ?? '';
      if (exp && exp !== 'never') {
        const d = parseDuration(exp);
        const t = Date.parse(exp);
        if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(exp) && d !== undefined) expires_at = now + d;
        else if (!Number.isNaN(t)) expires_at = t;
        else err(`training_expires: got ${JSON.stringify(exp)}, expected "never", a date such as 2027-06-30 or a duration such as 365d`);
      }
      let lapse_days: number | null = null;
      if (r.lapse_days) {
        if (!/^\d+$/.test(r.lapse_days) || Number(r.lapse_days) < 1) err(`lapse_days: got ${JSON.stringify(r.lapse_days)}, expected a whole number of days (1 or more)`);
        else lapse_days = Number(r.lapse_days);
      }
      if (eq) p.training = { equipment_id: eq.id, expires_at, lapse_days };
    } else if (r.training_expires || r.lapse_days) {
      err('training_expires/lapse_days given without equipment');
    }
    plan.push(p);
  }

  // Count what would happen (and, unless dry run and error-free, do it).
  const apply = !opts.dryRun && summary.errors.length === 0;
  const known = new Map<string, number>();
  const added = new Set<string>();
  for (const p of plan) {
    let id = known.get(p.name);
    if (id === undefined) {
      const existing = await deps.people.getByName(p.name);
      const patch = { ...(p.email !== undefined ? { email: p.email } : {}), ...(p.user_id !== undefined ? { user_id: p.user_id } : {}), ...(p.groups !== undefined ? { groups: p.groups } : {}) };
      if (existing) {
        summary.people_updated++;
        if (apply && Object.keys(patch).length) await deps.people.update(existing.id, patch, now);
        id = existing.id;
      } else {
        summary.people_created++;
        id = apply ? (await deps.people.create({ name: p.name, ...patch }, now)).id : -known.size - 1;
      }
      known.set(p.name, id);
    }
    if (p.card) {
      const existing = added.has(p.card.card_hash) || (await deps.people.cardByHash(p.card.card_hash));
      if (existing) summary.cards_unchanged++;
      else {
        summary.cards_added++;
        added.add(p.card.card_hash);
        if (apply) await deps.people.addCard(id, p.card, now);
      }
    }
    if (p.training) {
      summary.trainings_granted++;
      if (apply) await deps.trainings.grant({ person_id: id, equipment_id: p.training.equipment_id, granted_by: opts.actor, expires_at: p.training.expires_at, lapse_days: p.training.lapse_days }, now);
    }
  }
  summary.applied = apply;
  return summary;
}
