import { ErrorCode, MaError } from '@ma/protocol';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Recipient } from '../alerts/rule.js';
import { plainText, subjectLine, type AlertMessage } from './message.js';

type Email = Extract<Recipient, { type: 'email' }>;

export interface SmtpSettings {
  host: string;
  port: number;
  /** `starttls`: plain connect, then STARTTLS, required (587); `tls`: TLS from the first byte (465). */
  security: 'starttls' | 'tls';
  user?: string | undefined;
  password?: string | undefined;
  from: string;
  /** PEM of the CA that signed the SMTP server's certificate, to pin a private CA. */
  ca?: string | undefined;
}

/**
 * Email over SMTP. The server's certificate is always verified (against the system CAs, or
 * only against `ca` when one is pinned); there is no setting that sends mail in the clear or
 * to an unverified server.
 */
export class EmailSender {
  readonly #transport: Transporter;

  constructor(readonly settings: SmtpSettings) {
    this.#transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.security === 'tls',
      requireTLS: settings.security === 'starttls',
      ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(settings.ca ? { ca: [settings.ca] } : {}) },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(r: Email, m: AlertMessage): Promise<void> {
    try {
      await this.#transport.sendMail({
        from: this.settings.from,
        to: r.to,
        subject: subjectLine(m),
        text: plainText(m),
        headers: { 'X-MA-Alert-Id': String(m.alert_id), 'X-MA-Alert-Event': m.event },
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new MaError(ErrorCode.TransportConnectFailed, `SMTP ${this.settings.host}:${this.settings.port}: ${reason}`, { cause: e });
    }
  }

  close(): void {
    this.#transport.close();
  }
}
