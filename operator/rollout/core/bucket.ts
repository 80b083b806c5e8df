/**
 * The conversation bucket of the rollout contract, shared by the operator's simulation and the bot runtime:
 * FNV-1a 32-bit over the UTF-8 bytes of `${fleetId}:${sessionId}`, modulo 10000. A new conversation goes to
 * the canary iff bucket < canaryWeight x 100 (weight in percent), so weight 10 takes buckets 0..999.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
export const BUCKETS = 10000;

const encoder = new TextEncoder();

/** FNV-1a 32-bit of a string's UTF-8 bytes, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Bucket 0..9999 of a conversation; `fleetId` is "" when the runtime does not know its fleet. */
export function bucket(fleetId: string, sessionId: string): number {
  return fnv1a32(`${fleetId}:${sessionId}`) % BUCKETS;
}

/** Whether a new conversation in `bucketValue` starts on the canary at `canaryWeight` percent. */
export function startsOnCanary(bucketValue: number, canaryWeight: number): boolean {
  return bucketValue < canaryWeight * (BUCKETS / 100);
}
