import { createHash } from 'node:crypto';
import type { KubeObject } from '../workload/types.js';

/**
 * Decides whether a child must be (re)applied, without a write. Two checks, both needed:
 * - `chatfleet.io/applied-hash` on the live object is the hash of the last desired object we
 *   applied. A changed hash catches fields we stopped sending (removed env var, nodeSelector
 *   key): a subset check alone cannot see those, because live still has them.
 * - a subset comparison of desired against live catches manual edits of fields we own, while
 *   ignoring everything the API server or other controllers add (defaults, status, other
 *   managers' fields).
 */
export const ANNOTATION_APPLIED_HASH = 'chatfleet.io/applied-hash';

export function objectHash(obj: unknown): string {
  return createHash('sha256').update(stableStringify(obj)).digest('hex').slice(0, 20);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Returns the desired object with the applied-hash annotation of its own content. */
export function withAppliedHash(desired: KubeObject): KubeObject {
  const hash = objectHash(desired);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata.annotations, [ANNOTATION_APPLIED_HASH]: hash },
    },
  };
}

export function needsApply(desiredWithHash: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return true;
  const want = desiredWithHash.metadata.annotations?.[ANNOTATION_APPLIED_HASH];
  if (live.metadata.annotations?.[ANNOTATION_APPLIED_HASH] !== want) return true;
  return !isSubset(desiredWithHash, live);
}

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses a resource quantity ("250m", "1Gi", "0.5"); undefined if the string is not one. */
export function parseQuantity(s: string): number | undefined {
  const m = QUANTITY.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? (SUFFIX[m[2]] ?? 1) : 1);
}

/** The API server canonicalises quantities ("1000m" -> "1", 1 -> "1"): compare their values. */
function scalarEqual(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  const w = typeof want === 'number' ? want : typeof want === 'string' ? parseQuantity(want) : undefined;
  const h = typeof have === 'number' ? have : typeof have === 'string' ? parseQuantity(have) : undefined;
  return w !== undefined && h !== undefined && Math.abs(w - h) <= Math.abs(w) * 1e-9;
}

/**
 * True when every field of `want` is present in `have` with an equal value. Lists must have the
 * same length (an extra live element in a list we own is drift); list elements and maps compare
 * as subsets, so server-defaulted fields inside them are tolerated.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(
      ([k, v]) => v === undefined || isSubset(v, h[k]),
    );
  }
  return scalarEqual(want, have);
}
