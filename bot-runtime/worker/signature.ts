import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (docs/tasks.md, "Verifying a webhook"): X-Chatfleet-Signature is
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, X-Chatfleet-Timestamp the Unix seconds
 * the delivery was signed at. Signing the timestamp with the body lets a receiver refuse replays
 * of an old delivery. Pure.
 */
export const SIGNATURE_HEADER = 'x-chatfleet-signature';
export const TIMESTAMP_HEADER = 'x-chatfleet-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function signBody(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `v1=${mac}`;
}

/** A receiver's check: the signature matches and the timestamp is within `toleranceSeconds` of now. */
export function verifySignature(
  secret: string,
  header: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(header.timestamp);
  if (!/^\d{1,12}$/.test(header.timestamp ?? '') || Math.abs(nowSeconds - ts) > toleranceSeconds)
    return false;
  const expected = Buffer.from(signBody(secret, ts, body));
  const given = Buffer.from(header.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
