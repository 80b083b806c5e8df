/**
 * Checks and measurements of the rollout suite (rollout.test.ts) over the conversations it ran: pinning,
 * history after the version changed, the share of new conversations, and what forwarding adds.
 */
import { performance } from 'node:perf_hooks';
import type { Fleet } from './rollout-fleet.js';
import { MESSAGES, chat, chatOrFailure, type Conversation, type Turn } from './rollout-traffic.js';

/**
 * Conversations whose versions are not "first version, then at most one switch to `after`": a
 * conversation may move once (to stable on an abort, to the promoted version), never back and forth.
 */
export function pinViolations(conversations: Conversation[], after: string, ref?: number): string[] {
  const out: string[] = [];
  for (const c of conversations) {
    const versions = c.turns.map((t) => t.modelVersion);
    const switched = versions.findIndex((v) => v !== versions[0]);
    if (switched >= 0 && versions.slice(switched).some((v) => v !== after)) {
      // with `ref`, each turn's time relative to it (seconds), to place the violation
      const at = (t: Turn): string => (ref === undefined ? '' : `@${((t.at - ref) / 1000).toFixed(2)}`);
      out.push(`${c.sessionId}: ${c.turns.map((t) => `${t.modelVersion}${at(t)}`).join(',')}`);
    }
  }
  return out;
}

/**
 * One more turn of each conversation, `concurrency` at a time. A conversation keeps its history when
 * the new turn is numbered one past its last answered turn (only checked when none of its turns
 * failed: a failed turn may or may not have been stored) and is served by `version`.
 */
export async function continueAll(
  base: string,
  conversations: Conversation[],
  version: string,
  concurrency = 6,
): Promise<{ problems: string[]; next: Map<string, Turn> }> {
  const problems: string[] = [];
  const next = new Map<string, Turn>();
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < conversations.length) {
      const c = conversations[i++]!;
      const reply = await chatOrFailure(base, MESSAGES[i % MESSAGES.length]!, c.sessionId);
      const last = c.turns.at(-1)!;
      if ('failure' in reply) {
        problems.push(`${c.sessionId}: no reply (${reply.failure})`);
        continue;
      }
      const { turn } = reply;
      if (turn.modelVersion !== version) problems.push(`${c.sessionId}: served by ${turn.modelVersion}`);
      else if (c.failed === 0 && turn.turn !== last.turn + 1)
        problems.push(`${c.sessionId}: turn ${turn.turn} after turn ${last.turn}`);
      next.set(c.sessionId, turn);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { problems, next };
}

/** New single-turn conversations through the Service: how many started on each version. */
export async function newConversations(
  base: string,
  count: number,
  concurrency: number,
): Promise<{ byVersion: Map<string, string[]>; failures: number }> {
  const byVersion = new Map<string, string[]>();
  let started = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (started < count && failures < 100) {
      const turn = await chat(base, MESSAGES[started % MESSAGES.length]!);
      if (turn === undefined) {
        failures++;
        continue;
      }
      started++;
      byVersion.set(turn.modelVersion, [...(byVersion.get(turn.modelVersion) ?? []), turn.sessionId]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { byVersion, failures };
}

/** A new conversation that started on `version` (tries up to `tries` new ones). */
export async function conversationOn(base: string, version: string, tries = 200): Promise<Conversation> {
  for (let i = 0; i < tries; i++) {
    const turn = await chat(base, MESSAGES[i % MESSAGES.length]!);
    if (turn?.modelVersion === version) {
      return { sessionId: turn.sessionId, startedAt: turn.at, turns: [turn], failed: 0 };
    }
  }
  throw new Error(`no new conversation started on ${version} in ${tries} tries`);
}

export interface ForwardCost {
  pairs: number;
  directP50: number;
  directP99: number;
  forwardedP50: number;
  forwardedP99: number;
  wrongVersion: number;
}

/**
 * The same canary conversations, turn by turn, straight at a canary pod (served there) and at a stable
 * pod (which forwards them to the canary Service), interleaved and alternating which goes first; from the
 * host over a fresh connection each, so both paths pay the same client-side costs.
 */
export async function forwardCost(
  fleet: Fleet,
  sessions: string[],
  pairs: number,
  version: string,
): Promise<ForwardCost> {
  const [stable] = await fleet.pods('stable');
  const [canary] = await fleet.pods('canary');
  if (!stable || !canary || sessions.length === 0)
    throw new Error('forwardCost needs a stable pod, a canary pod and sessions');
  const direct: number[] = [];
  const forwarded: number[] = [];
  let wrongVersion = 0;
  const timed = async (ip: string, id: string, into: number[]): Promise<void> => {
    const started = performance.now();
    const turn = await chat(`http://${ip}:8080`, 'where is my order please', id);
    into.push(performance.now() - started);
    if (turn?.modelVersion !== version) wrongVersion++;
  };
  for (let i = 0; i < pairs; i++) {
    const id = sessions[i % sessions.length]!;
    if (i % 2 === 0) {
      await timed(canary.ip, id, direct);
      await timed(stable.ip, id, forwarded);
    } else {
      await timed(stable.ip, id, forwarded);
      await timed(canary.ip, id, direct);
    }
  }
  return {
    pairs,
    directP50: percentile(direct, 50),
    directP99: percentile(direct, 99),
    forwardedP50: percentile(forwarded, 50),
    forwardedP99: percentile(forwarded, 99),
    wrongVersion,
  };
}

/** Nearest-rank percentile of unsorted values (q in 0..100). */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))]!;
}

/**
 * Quantile of a Prometheus histogram (cumulative `_bucket{le}` lines of `name`, summed over the texts),
 * linear within the bucket, like histogram_quantile().
 */
export function histogramQuantile(
  texts: string[],
  name: string,
  q: number,
): { value: number; count: number } {
  const buckets = new Map<number, number>();
  for (const text of texts) {
    for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const rank = (q / 100) * count;
  let prev: [number, number] = [0, 0];
  for (const [le, c] of sorted) {
    if (c >= rank && count > 0) {
      if (!Number.isFinite(le)) return { value: prev[0], count };
      const share = c === prev[1] ? 0 : (rank - prev[1]) / (c - prev[1]);
      return { value: prev[0] + (le - prev[0]) * share, count };
    }
    prev = [le, c];
  }
  return { value: NaN, count };
}
