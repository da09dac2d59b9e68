import type { Recipient } from '../alerts/rule.js';
import { post } from './http-post.js';
import { plainText, subjectLine, type AlertMessage } from './message.js';

type Ntfy = Extract<Recipient, { type: 'ntfy' }>;

const PRIORITY = { info: '3', warning: '4', critical: '5' } as const;

/** ntfy: the topic URL gets the text as body; title, priority, tags and click link as headers. */
export async function sendNtfy(r: Ntfy, m: AlertMessage): Promise<void> {
  const headers: Record<string, string> = {
    // Header values must be ASCII (HTTP/1.1); ntfy reads RFC 2047 encoded words.
    title: `=?UTF-8?B?${Buffer.from(subjectLine(m)).toString('base64')}?=`,
    priority: m.state === 'resolved' ? '3' : PRIORITY[m.severity],
    tags: m.state === 'resolved' ? 'white_check_mark' : 'warning',
  };
  if (m.chart_url) headers.click = m.chart_url;
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  await post(r.url, plainText(m), headers);
}
