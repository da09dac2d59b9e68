import type { Recipient } from '../alerts/rule.js';
import { post } from './http-post.js';
import type { AlertMessage } from './message.js';
import { plainText, subjectLine } from './message.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signature.js';

type Webhook = Extract<Recipient, { type: 'webhook' }>;

/** The generic JSON webhook: the whole message, HMAC-signed with the recipient's own secret. */
export async function sendWebhook(r: Webhook, m: AlertMessage, now = Date.now()): Promise<void> {
  const body = JSON.stringify({ ...m, title: subjectLine(m), text: plainText(m) });
  const ts = String(now);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'monitor-actuator-alerts', [TIMESTAMP_HEADER]: ts };
  if (r.secret) headers[SIGNATURE_HEADER] = sign(r.secret, ts, body);
  await post(r.url, body, headers);
}
