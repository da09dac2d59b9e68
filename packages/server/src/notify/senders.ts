import { ErrorCode, MaError } from '@ma/protocol';
import type { Recipient } from '../alerts/rule.js';
import { sendChat } from './chat-sender.js';
import type { EmailSender } from './email-sender.js';
import type { AlertMessage } from './message.js';
import { sendNtfy } from './ntfy-sender.js';
import { sendWebhook } from './webhook-sender.js';

/** Sends one message to one recipient, by the recipient's kind; throws on failure (retried). */
export type SendFn = (r: Recipient, m: AlertMessage) => Promise<void>;

export function makeSender(email: EmailSender | undefined): SendFn {
  return async (r, m) => {
    switch (r.type) {
      case 'email':
        if (!email) throw new MaError(ErrorCode.ConfigInvalid, 'no SMTP server is configured: set alerts.smtp in the server config to send email');
        return email.send(r, m);
      case 'webhook':
        return sendWebhook(r, m);
      case 'chat':
        return sendChat(r, m);
      case 'ntfy':
        return sendNtfy(r, m);
    }
  };
}

/** Who a recipient is, for the delivery log (never its secret). */
export function describeRecipient(r: Recipient): string {
  switch (r.type) {
    case 'email':
      return `email ${r.to}`;
    case 'webhook':
    case 'chat':
    case 'ntfy':
      try {
        return `${r.type} ${new URL(r.url).host}`;
      } catch {
        return r.type;
      }
  }
}
