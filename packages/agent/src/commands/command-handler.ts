/**
 * Commands from the server on `ma/v1/<n>/cmd`: checked for expiry first (a command is never
 * executed at or after its `expires_at`), then handed to the actuator (which checks lock-out
 * and interlocks) or to access control, and always answered on `cmd/result`. A malformed
 * command is refused and counted, never a crash; a duplicate delivery (QoS 1) gets the first
 * answer again without running twice.
 */
import {
  commandEnvelopeSchema,
  commandSchema,
  topics,
  type AccessDecisionCommand,
  type Command,
  type CommandResult,
} from '@ma/protocol';
import type { ActuatorController, RequestOutcome } from '../actuators/actuator-controller.js';
import type { Logger } from '../logger.js';
import type { NodeLink } from './node-link.js';

/** Access control's side of a server decision (absent on nodes without readers). */
export interface DecisionSink {
  onServerDecision(cmd: AccessDecisionCommand): Promise<RequestOutcome | { outcome: 'refused'; code: 'late_decision' | 'unknown_equipment'; message: string }>;
}

export interface CommandHandlerDeps {
  node: string;
  link: NodeLink;
  actuators: ReadonlyMap<string, ActuatorController>;
  decisions?: DecisionSink;
  log: Logger;
  now(): number;
}

const REMEMBERED = 512;

export class CommandHandler {
  #malformed = 0;
  readonly #answered = new Map<string, CommandResult>();

  constructor(private readonly deps: CommandHandlerDeps) {}

  /** Commands refused as malformed since start. */
  get malformed(): number {
    return this.#malformed;
  }

  start(): void {
    this.deps.link.subscribe(topics.cmd(this.deps.node), (payload) => {
      void this.handle(payload).catch((err: unknown) => this.deps.log.error({ err }, 'command handling failed'));
    });
  }

  async handle(payload: Buffer): Promise<CommandResult> {
    const result = await this.#run(payload);
    this.deps.link.publish(topics.cmdResult(this.deps.node), JSON.stringify(result));
    return result;
  }

  #result(id: string, kind: string | undefined, o: Omit<CommandResult, 'v' | 'id' | 'ts' | 'kind'>): CommandResult {
    return { v: 1, id, ...(kind ? { kind } : {}), ...o, ts: this.deps.now() };
  }

  #refuseMalformed(id: string, kind: string | undefined, message: string): CommandResult {
    this.#malformed++;
    this.deps.log.warn({ id, kind, malformed: this.#malformed }, `refused a malformed command: ${message}`);
    return this.#result(id, kind, { outcome: 'refused', code: 'bad_command', message: message.slice(0, 512) });
  }

  async #run(payload: Buffer): Promise<CommandResult> {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.#refuseMalformed('unknown', undefined, 'not valid JSON');
    }
    const env = commandEnvelopeSchema.safeParse(json);
    if (!env.success) {
      const id = typeof (json as { id?: unknown } | null)?.id === 'string' ? ((json as { id: string }).id.slice(0, 64) || 'unknown') : 'unknown';
      const issue = env.error.issues[0]!;
      return this.#refuseMalformed(id, undefined, `${issue.path.join('.')}: ${issue.message}`);
    }
    const { id, kind, expires_at } = env.data;
    const seen = this.#answered.get(id);
    if (seen) return seen;
    const now = this.deps.now();
    let result: CommandResult;
    if (now >= expires_at) {
      result = this.#result(id, kind, { outcome: 'expired', code: 'expired', message: `arrived ${now - expires_at} ms after its expiry; not executed` });
    } else {
      const parsed = commandSchema.safeParse(json);
      if (!parsed.success) {
        const known = ['actuate', 'access_decision', 'lockout_set', 'lockout_clear', 'refresh_state'];
        if (!known.includes(kind)) result = this.#result(id, kind, { outcome: 'refused', code: 'unknown_kind', message: `this node does not know commands of kind "${kind}"` });
        else {
          const issue = parsed.error.issues[0]!;
          result = this.#refuseMalformed(id, kind, `${issue.path.join('.')}: ${issue.message}`);
        }
      } else {
        result = await this.#execute(parsed.data);
      }
    }
    this.#answered.set(id, result);
    if (this.#answered.size > REMEMBERED) this.#answered.delete(this.#answered.keys().next().value!);
    return result;
  }

  async #execute(cmd: Command): Promise<CommandResult> {
    if (cmd.kind === 'access_decision') {
      if (!this.deps.decisions) return this.#result(cmd.id, cmd.kind, { outcome: 'refused', code: 'unknown_equipment', message: 'this node has no card readers' });
      const o = await this.deps.decisions.onServerDecision(cmd);
      return this.#result(cmd.id, cmd.kind, { outcome: o.outcome, code: o.code, ...(o.message ? { message: o.message } : {}), ...('state' in o ? { state: o.state } : {}) });
    }
    const name = cmd.actuator;
    const actuator = name !== undefined ? this.deps.actuators.get(name) : undefined;
    if (name !== undefined && !actuator) {
      return this.#result(cmd.id, cmd.kind, { outcome: 'refused', code: 'unknown_actuator', actuator: name, message: `no actuator "${name}" on this node; known: ${[...this.deps.actuators.keys()].join(', ') || '(none)'}` });
    }
    let o: RequestOutcome;
    switch (cmd.kind) {
      case 'actuate':
        o = await actuator!.request(cmd.value, { cause: 'command', by: cmd.by, reason: cmd.reason, cmdId: cmd.id, notAfter: cmd.expires_at });
        break;
      case 'lockout_set':
        o = await actuator!.setLockout({ mode: cmd.mode, by: cmd.by, reason: cmd.reason, set_at: this.deps.now() });
        break;
      case 'lockout_clear':
        o = await actuator!.clearLockout(cmd.by, cmd.reason);
        break;
      case 'refresh_state': {
        const targets = actuator ? [actuator] : [...this.deps.actuators.values()];
        await Promise.all(targets.map((a) => a.refresh()));
        o = { outcome: 'applied', code: 'ok', state: actuator?.state ?? 'unknown' };
        if (!actuator) return this.#result(cmd.id, cmd.kind, { outcome: 'applied', code: 'ok' });
        break;
      }
    }
    return this.#result(cmd.id, cmd.kind, {
      outcome: o.outcome,
      code: o.code,
      actuator: name!,
      state: o.state,
      ...(o.message ? { message: o.message.slice(0, 512) } : {}),
      ...(o.rule ? { rule: o.rule.slice(0, 256) } : {}),
    });
  }
}
