import type { Logger } from 'pino';
import { recipientSchema, type Recipient } from '../alerts/rule.js';
import type { AlertsStore, NotificationRow } from '../store/alerts-store.js';
import type { AlertMessage } from './message.js';
import { describeRecipient, type SendFn } from './senders.js';

export interface DispatcherOptions {
  /** Attempts before a notification is given up (marked failed). */
  maxAttempts: number;
  /** First retry delay; doubles each attempt up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How often queued notifications are looked for, besides being kicked when one is queued. */
  pollMs: number;
}

export const DEFAULT_DISPATCH: DispatcherOptions = { maxAttempts: 8, baseBackoffMs: 2000, maxBackoffMs: 10 * 60_000, pollMs: 1000 };

/**
 * Sends queued notifications from the delivery log, retrying with exponential backoff. The
 * log is the queue: a notification is queued in the same transaction as the alert's state
 * change, so a restart neither loses nor re-creates one; each attempt's outcome is recorded.
 * (A crash between a send and its record can send that one message twice: at least once.)
 */
export class Dispatcher {
  readonly #inFlight = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** Failures are logged once per recipient until it recovers. */
  readonly #failing = new Set<string>();

  constructor(
    private readonly store: AlertsStore,
    private readonly send: SendFn,
    private readonly log: Logger,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCH,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Something was queued: look now rather than at the next poll. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#drain().finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.#schedule(0);
        } else this.#schedule(this.options.pollMs);
      });
    }, ms);
    this.#timer.unref();
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const due = (await this.store.dueNotifications(Date.now())).filter((n) => !this.#inFlight.has(n.id));
        if (due.length === 0 || this.#stopped) return;
        await Promise.all(due.map((n) => this.#deliver(n)));
      }
    } catch (err) {
      this.log.error({ err }, 'could not read the notification queue; will retry');
    }
  }

  async #deliver(n: NotificationRow): Promise<void> {
    let recipient: Recipient;
    let message: AlertMessage;
    try {
      recipient = recipientSchema.parse(JSON.parse(n.recipient_json));
      message = JSON.parse(n.message_json) as AlertMessage;
    } catch (err) {
      // Written by an older or newer build in a form this one cannot read: never sendable.
      this.log.error({ err, notification: n.id }, 'unreadable queued notification; marked failed');
      await this.store.recordAttempt(n.id, { state: 'failed', attempts: n.attempts, next_attempt_at: n.next_attempt_at, last_error: 'unreadable recipient or message', sent_at: null });
      return;
    }
    this.#inFlight.add(n.id);
    const who = describeRecipient(recipient);
    const attempts = n.attempts + 1;
    try {
      await this.send(recipient, message);
      await this.store.recordAttempt(n.id, { state: 'sent', attempts, next_attempt_at: n.next_attempt_at, last_error: n.last_error, sent_at: Date.now() });
      if (this.#failing.delete(who)) this.log.info({ recipient: who }, 'notifications reach this recipient again');
      this.log.info({ alert: message.alert_id, event: message.event, recipient: who, attempts }, 'notification sent');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const giveUp = attempts >= this.options.maxAttempts;
      const delay = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (attempts - 1));
      await this.store.recordAttempt(n.id, { state: giveUp ? 'failed' : 'queued', attempts, next_attempt_at: Date.now() + delay, last_error: reason, sent_at: null });
      if (giveUp) this.log.error({ alert: message.alert_id, recipient: who, attempts, reason }, 'notification failed; giving up');
      else if (!this.#failing.has(who)) {
        this.#failing.add(who);
        this.log.warn({ alert: message.alert_id, recipient: who, reason, retry_in_ms: delay }, 'notification failed; will retry');
      }
    } finally {
      this.#inFlight.delete(n.id);
    }
  }
}
