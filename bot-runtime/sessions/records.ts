import type { Pin } from '../rollout/assignment.js';
import type { NewTurn, TurnRecord } from './session-store.js';

/** The pure half of the session store: turn records and script replies, checked. */

export function encodeTurn(turn: NewTurn): string {
  return JSON.stringify(turn);
}

/**
 * Sequence numbers are not stored in the entries: the list is appended in the same transaction that
 * increments the counter, so the last entry always has seq = counter, and the one before counter-1.
 * `entries` are the newest entries, oldest first, read atomically with `counter`.
 */
export function decodeTurns(entries: string[], counter: number): TurnRecord[] {
  const first = counter - entries.length + 1;
  const out: TurnRecord[] = [];
  entries.forEach((entry, i) => {
    try {
      out.push({ seq: first + i, ...(JSON.parse(entry) as NewTurn) });
    } catch {
      // a corrupt entry is skipped, never fatal for the session
    }
  });
  return out;
}

/** The worker's summary of the turns up to `through` (the prompt then carries only later turns). */
export interface SessionSummary {
  text: string;
  through: number;
}

export function summaryOf(text: unknown, through: unknown): SessionSummary | undefined {
  const n = Number(through);
  return typeof text === 'string' && text !== '' && Number.isSafeInteger(n) && n > 0
    ? { text, through: n }
    : undefined;
}

/**
 * The history script's reply, checked: null is "not the caller's session"; a malformed reply is
 * an error, never a garbled history.
 */
export function historyReply(
  reply: unknown,
): { counter: number; entries: string[]; pin?: Pin; summary?: SessionSummary } | null {
  if (reply === null) return null;
  const [counter, entries, track, version, text, through] = Array.isArray(reply) ? (reply as unknown[]) : [];
  const validCounter = counter === null || typeof counter === 'string';
  if (!validCounter || !Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) {
    throw badReply('session history', reply);
  }
  const pin = pinOf(track, version);
  const summary = summaryOf(text, through);
  return { counter: Number(counter ?? 0), entries, ...(pin && { pin }), ...(summary && { summary }) };
}

function pinOf(track: unknown, version: unknown): Pin | undefined {
  const pinned = (track === 'stable' || track === 'canary') && typeof version === 'string' && version !== '';
  return pinned ? { track, modelVersion: version } : undefined;
}

export function badReply(script: string, reply: unknown): Error {
  return new Error(`unexpected reply to the ${script} script: ${JSON.stringify(reply)?.slice(0, 200)}`);
}
