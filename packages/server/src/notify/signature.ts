import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-MA-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
 * `X-MA-Timestamp: <ms since epoch>`. Signing the timestamp with the body lets a receiver
 * refuse a replayed request (check the timestamp is recent) as well as a forged one.
 */
export const SIGNATURE_HEADER = 'x-ma-signature';
export const TIMESTAMP_HEADER = 'x-ma-timestamp';

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(sign(secret, timestamp, body));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
