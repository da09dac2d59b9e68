import { ErrorCode, MaError } from '@ma/protocol';

/**
 * POSTs to a notification endpoint. TLS certificates are always verified (Node's fetch has
 * no switch to turn that off, and none is added here); a non-2xx answer is a failure, retried
 * by the dispatcher.
 */
export async function post(url: string, body: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    throw new MaError(ErrorCode.TransportConnectFailed, `POST ${redact(url)} failed: ${reason}`, { cause: e });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new MaError(ErrorCode.TransportConnectFailed, `POST ${redact(url)} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/** Webhook URLs often carry their secret in the path (Slack, Discord): logs show only the origin. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}
