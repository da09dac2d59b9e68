import type { Recipient } from '../alerts/rule.js';
import { post } from './http-post.js';
import { plainText, subjectLine, type AlertMessage } from './message.js';

type Chat = Extract<Recipient, { type: 'chat' }>;

/**
 * Slack and Mattermost incoming webhooks take `{ "text": … }`; Discord takes `{ "content": … }`
 * (at most 2000 characters).
 */
export async function sendChat(r: Chat, m: AlertMessage): Promise<void> {
  const text = `*${subjectLine(m)}*\n${plainText(m)}`;
  const body = r.flavor === 'discord' ? { content: text.slice(0, 2000) } : { text };
  await post(r.url, JSON.stringify(body), { 'content-type': 'application/json' });
}
