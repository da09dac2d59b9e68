import { randomUUID } from 'node:crypto';
import { ErrorCode, MaError, topics, type AccessDecisionCommand, type AccessDecisionEvent, type RfidScanEvent, type Status } from '@ma/protocol';
import { signAllowList } from '@ma/protocol/signing';
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/audit-store.js';
import type { EquipmentDatabase } from '../equipment/equipment-database.js';
import type { EquipmentRow, EquipmentStore } from '../equipment/equipment-store.js';
import type { NodeIdentity } from '../ingest/ingest.js';
import type { Store } from '../store/store.js';
import { hashCard, type AccessKeys } from './access-keys.js';
import { buildAllowList, type AllowListContent, type BuildPerson } from './allow-list-builder.js';
import { AllowListStore } from './allow-list-store.js';
import { decide, describeDenial, type Decision, type TrainingFacts } from './decide.js';
import { PeopleStore, type PersonRow } from './people-store.js';
import { TrainingsStore } from './trainings-store.js';

export type Publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }) => Promise<void>;

export interface AccessServiceDeps {
  e: EquipmentDatabase;
  store: Store;
  equipment: EquipmentStore;
  keys: AccessKeys;
  publish: Publish;
  audit(entry: AuditEntry): Promise<void>;
  /** Told of every decision and scan, for the live feed. */
  onDecision?(node: string, d: DecisionRecord): void;
  log: Logger;
  /** How long the server has to answer a scan (the node decides from its allow-list after). */
  deadlineMs: number;
  /** How often lists are checked for changes that time alone brings (expiry, schedules). */
  refreshMs: number;
}

export interface DecisionRecord {
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

interface PendingTap {
  node: string;
  reader: string | undefined;
  resolve(card: { card_hash: string; last4: string }): void;
}

const UNKNOWN_LOG_MS = 60_000;

/**
 * Access control on the server: decides scans within the deadline and answers on `cmd`,
 * audits each decision (the server's and the nodes' own), builds, signs and publishes each
 * node's allow-list whenever what it would contain changes, tracks the version each node
 * holds, and binds the next scan on a reader to a person ("tap now" enrolment).
 */
export class AccessService {
  readonly people: PeopleStore;
  readonly trainings: TrainingsStore;
  readonly lists: AllowListStore;
  readonly #unknownLogged = new Map<string, number>();
  readonly #taps = new Set<PendingTap>();
  /** node id -> fingerprint of the last published content (without times). */
  readonly #published = new Map<number, { fingerprint: string; expires_at: number; issued_at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #rebuilding: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(private readonly deps: AccessServiceDeps) {
    this.people = new PeopleStore(deps.e);
    this.trainings = new TrainingsStore(deps.e);
    this.lists = new AllowListStore(deps.e);
  }

  async start(): Promise<void> {
    await this.refreshAll();
    this.#timer = setInterval(() => this.changed(), this.deps.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Something that may change any allow-list happened: rebuild (coalesced) and publish what changed. */
  changed(): Promise<void> {
    if (this.#dirty) return this.#rebuilding;
    this.#dirty = true;
    this.#rebuilding = this.#rebuilding.then(async () => {
      this.#dirty = false;
      await this.refreshAll().catch((err: unknown) => this.deps.log.error({ err }, 'could not publish allow-lists'));
    });
    return this.#rebuilding;
  }

  async refreshAll(now = Date.now()): Promise<void> {
    const nodes = await this.deps.store.listNodes();
    const all = await this.deps.equipment.list();
    const people = await this.#buildPeople();
    const trainings = new Map<string, TrainingFacts>((await this.trainings.all()).map((t) => [`${t.person_id}:${t.equipment_id}`, t]));
    const locked = new Set((await this.deps.equipment.activeLockouts()).map((l) => l.equipment_id));
    for (const node of nodes) {
      const equipment = all.filter((eq) => eq.actuators.some((a) => a.node_id === node.id));
      if (equipment.length === 0 && !(await this.lists.get(node.id))) continue;
      const content = buildAllowList({
        node: node.name,
        now,
        equipment: equipment.map((eq) => ({ id: eq.id, name: eq.name, rule: eq.rule, locked_out: locked.has(eq.id), trainers: new Set(eq.trainers), maintainers: new Set(eq.maintainers) })),
        people,
        trainings,
      });
      await this.#publishIfChanged(node, content, now);
    }
  }

  async #buildPeople(): Promise<BuildPerson[]> {
    const cards = await this.people.allCards();
    return (await this.people.list()).map((p) => ({ ...p, cards: cards.filter((c) => c.person_id === p.id) }));
  }

  async #publishIfChanged(node: { id: number; name: string }, content: AllowListContent, now: number): Promise<void> {
    // What a list says, without the instants that move with time (entries' TTLs are bounded by it).
    const fingerprint = JSON.stringify({ e: content.equipment, a: content.entries.map((x) => [x.card, x.equipment]), d: content.deny });
    const last = this.#published.get(node.id) ?? (await this.#loadPublished(node.id));
    const halfLife = last ? last.issued_at + (last.expires_at - last.issued_at) / 2 : 0;
    const entryExpired = content.entries.some((x) => x.expires_at <= now + 60_000);
    if (last && last.fingerprint === fingerprint && now < halfLife && !entryExpired) return;
    const prev = await this.lists.get(node.id);
    // Versions are ms timestamps when that is larger: a restored or reset database never goes backwards.
    const version = Math.max((prev?.version ?? 0) + 1, now);
    const signed = signAllowList({ v: 1, node: node.name, version, issued_at: now, card_salt: this.deps.keys.cardKey, key_id: this.deps.keys.keyId, ...content }, this.deps.keys.signingKey);
    const json = JSON.stringify(signed);
    await this.lists.publish(node.id, version, json, now);
    this.#published.set(node.id, { fingerprint, expires_at: content.expires_at, issued_at: now });
    await this.deps.publish(topics.allowList(node.name), json, { qos: 1, retain: true });
    this.deps.log.info({ node: node.name, version, entries: content.entries.length, deny: content.deny.length }, 'allow-list published');
  }

  async #loadPublished(nodeId: number): Promise<{ fingerprint: string; expires_at: number; issued_at: number } | undefined> {
    const row = await this.lists.get(nodeId);
    if (!row) return undefined;
    const doc = JSON.parse(row.document_json) as AllowListContent & { issued_at: number };
    return { fingerprint: JSON.stringify({ e: doc.equipment, a: doc.entries.map((x) => [x.card, x.equipment]), d: doc.deny }), expires_at: doc.expires_at, issued_at: doc.issued_at };
  }

  /** A node's status: remember which allow-list version it holds. */
  async onStatus(node: NodeIdentity, status: Status, now: number): Promise<void> {
    if (status.allow_list) await this.lists.report(node.id, status.allow_list.version, now);
  }

  /** How far the current lists of this equipment's nodes have reached. */
  async reach(eq: EquipmentRow): Promise<{ reached: number; total: number; nodes: Array<{ node: string; version: number | null; reported_version: number | null; reported_at: number | null }> }> {
    const nodeIds = [...new Set(eq.actuators.map((a) => a.node_id))];
    const rows = new Map((await this.lists.all()).map((r) => [r.node_id, r]));
    const nodes = nodeIds.map((id) => {
      const r = rows.get(id);
      return { node: eq.actuators.find((a) => a.node_id === id)!.node, version: r?.version ?? null, reported_version: r?.reported_version ?? null, reported_at: r?.reported_at ?? null };
    });
    return { reached: nodes.filter((n) => n.version !== null && n.reported_version !== null && n.reported_version >= n.version).length, total: nodes.length, nodes };
  }

  /** Waits for the next scan on `node` (and `reader`, when given) for at most `ms`; resolves with the card's hash. */
  waitForTap(node: string, reader: string | undefined, ms: number): Promise<{ card_hash: string; last4: string }> {
    return new Promise((resolve, reject) => {
      const pending: PendingTap = {
        node,
        reader,
        resolve: (card) => {
          clearTimeout(timer);
          this.#taps.delete(pending);
          resolve(card);
        },
      };
      const timer = setTimeout(() => {
        this.#taps.delete(pending);
        reject(new MaError(ErrorCode.Conflict, `no card was tapped on ${node}${reader ? ` reader ${reader}` : ''} within ${Math.round(ms / 1000)} s; try again`));
      }, ms);
      this.#taps.add(pending);
    });
  }

  /** The facts and decision for one card hash at one equipment, now. */
  async decideFor(cardHash: string, eq: EquipmentRow, now: number): Promise<{ decision: Decision; person: PersonRow | undefined }> {
    const card = await this.people.cardByHash(cardHash);
    const person = card && (await this.people.get(card.person_id));
    const roles = new Set<'trainer' | 'maintainer'>();
    if (person && eq.trainers.includes(person.id)) roles.add('trainer');
    if (person && eq.maintainers.includes(person.id)) roles.add('maintainer');
    const training = person && (await this.trainings.get(person.id, eq.id));
    const locked = (await this.deps.equipment.activeLockout(eq.id)) !== undefined;
    return { decision: decide({ card, person, rule: eq.rule, roles, training, locked_out: locked, now }), person };
  }

  /**
   * A scan from a node: decide and answer on `cmd` within the deadline, then audit. A scan
   * claimed by a "tap now" enrolment is bound instead and not decided.
   */
  async onScan(node: NodeIdentity, scan: RfidScanEvent, receivedAt: number): Promise<void> {
    const { card_hash, last4 } = this.#hash(scan.card_id);
    for (const tap of this.#taps) {
      if (tap.node === node.name && (tap.reader === undefined || tap.reader === scan.reader)) {
        tap.resolve({ card_hash, last4 });
        return;
      }
    }
    const eq = await this.#equipmentFor(node, scan);
    let record: DecisionRecord;
    if (!eq) {
      record = { scan_id: scan.scan_id, equipment: scan.equipment ?? null, card_last4: last4, person: null, allow: false, reason: 'unknown_equipment', source: 'server', at: receivedAt };
    } else {
      const { decision, person } = await this.decideFor(card_hash, eq, receivedAt);
      record = { scan_id: scan.scan_id, equipment: eq.name, card_last4: last4, person: person?.name ?? null, allow: decision.allowed, reason: decision.reason, source: 'server', at: receivedAt };
      const now = Date.now();
      if (now - receivedAt <= this.deps.deadlineMs) {
        const cmd: AccessDecisionCommand = {
          v: 1,
          id: randomUUID(),
          kind: 'access_decision',
          issued_at: now,
          expires_at: receivedAt + this.deps.deadlineMs,
          scan_id: scan.scan_id,
          equipment: eq.name,
          allow: decision.allowed,
          reason: decision.reason,
          ...(person ? { person: person.name } : {}),
          ...(decision.allowed ? { session: eq.rule.session } : {}),
        };
        await this.deps.publish(topics.cmd(node.name), JSON.stringify(cmd), { qos: 1, retain: false });
        record.latency_ms = Date.now() - receivedAt;
      } else {
        // Past the deadline the node has decided from its allow-list; a late answer would be refused there anyway.
        this.deps.log.warn({ node: node.name, scan: scan.scan_id, ms: now - receivedAt }, 'access decision missed its deadline; the node decided from its allow-list');
      }
      if (decision.allowed && person) await this.trainings.touch(person.id, eq.id, receivedAt);
    }
    this.deps.onDecision?.(node.name, record);
    await this.#auditDecision(node.name, record, card_hash);
  }

  /** A node's own decision event: audit those it made from its allow-list (the server's were audited when made). */
  async onNodeDecision(node: NodeIdentity, ev: AccessDecisionEvent): Promise<void> {
    if (ev.source !== 'cache') return;
    const record: DecisionRecord = { scan_id: ev.scan_id, equipment: ev.equipment, card_last4: '', person: ev.person ?? null, allow: ev.allow, reason: ev.reason, source: 'cache', at: ev.ts, ...(ev.latency_ms !== undefined ? { latency_ms: ev.latency_ms } : {}) };
    this.deps.onDecision?.(node.name, record);
    await this.#auditDecision(node.name, record, undefined, ev.list_version);
  }

  async #auditDecision(node: string, r: DecisionRecord, cardHash: string | undefined, listVersion?: number): Promise<void> {
    if (r.reason === 'unknown_card' && cardHash) {
      // An unknown card is logged once per card per minute: a card left on a reader cannot flood the log.
      const last = this.#unknownLogged.get(cardHash);
      if (last !== undefined && r.at - last < UNKNOWN_LOG_MS) return;
      this.#unknownLogged.set(cardHash, r.at);
      if (this.#unknownLogged.size > 10_000) this.#unknownLogged.clear();
    }
    await this.deps.audit({
      actor: `node:${node}`,
      ip: null,
      action: 'access.decision',
      target: r.equipment ? `equipment:${r.equipment}` : `node:${node}`,
      outcome: r.allow ? 'ok' : 'denied',
      reason: r.allow ? r.reason : r.reason === 'unknown_equipment' ? 'the reader guards no equipment known to the server' : `${r.reason}: ${describeDenial(r.reason as Parameters<typeof describeDenial>[0])}`,
      detail: {
        scan_id: r.scan_id,
        source: r.source,
        person: r.person,
        ...(r.card_last4 ? { card_last4: r.card_last4 } : {}),
        code: r.reason,
        ...(r.latency_ms !== undefined ? { latency_ms: r.latency_ms } : {}),
        ...(listVersion !== undefined ? { list_version: listVersion } : {}),
      },
    });
  }

  #hash(cardId: string): { card_hash: string; last4: string } {
    return hashCard(this.deps.keys.cardKey, cardId);
  }

  async #equipmentFor(node: NodeIdentity, scan: RfidScanEvent): Promise<EquipmentRow | undefined> {
    if (scan.equipment) {
      const eq = await this.deps.equipment.getByName(scan.equipment);
      return eq && eq.actuators.some((a) => a.node_id === node.id) ? eq : undefined;
    }
    // A reader without configured equipment guards the node's only equipment, if it has one.
    const on = await this.deps.equipment.onNode(node.id);
    return on.length === 1 ? on[0] : undefined;
  }
}
