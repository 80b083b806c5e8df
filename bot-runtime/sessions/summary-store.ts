import { withDeadline } from '../redis/deadline.js';
import type { RedisClient } from '../redis/redis-client.js';
import { FleetKeys } from './keys.js';
import { badReply, decodeTurns } from './records.js';
import { STORE_SUMMARY_LUA, SUMMARY_SOURCE_LUA } from './scripts.js';
import type { TurnRecord } from './session-store.js';

/** What a summary is made from: the summary so far (through turn `through`, 0: none) and the stored turns. */
export interface SummarySource {
  previous: string;
  through: number;
  turns: TurnRecord[];
}

export type SummaryWrite = 'done' | 'duplicate' | 'conflict' | 'gone';

interface ScriptedClient {
  cfSummarySource(seq: string, turns: string, summary: string, owner: string): Promise<unknown>;
  cfStoreSummary(summary: string, owner: string, ...args: (string | number)[]): Promise<unknown>;
}

/** The source script's reply, checked; null when the session is gone. Pure. */
export function summarySourceReply(reply: unknown): SummarySource | null {
  if (reply === null) return null;
  const [counter, entries, text, through] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string'))
    throw badReply('summary source', reply);
  return {
    previous: typeof text === 'string' ? text : '',
    through: Number(through ?? 0) || 0,
    turns: decodeTurns(entries, Number(counter ?? 0)),
  };
}

/**
 * The worker's side of session summaries (the chat side reads them with the session's view). Both
 * scripts touch only the session's own keys (one hash tag), so they are legal in Redis Cluster.
 */
export class SummaryStore {
  private readonly scripted: ScriptedClient;
  private readonly keys: FleetKeys;

  constructor(
    client: RedisClient,
    fleetId: string,
    private readonly opts: { ttlSeconds: number; opTimeoutMs: number },
  ) {
    client.defineCommand('cfSummarySource', { numberOfKeys: 4, lua: SUMMARY_SOURCE_LUA });
    client.defineCommand('cfStoreSummary', { numberOfKeys: 2, lua: STORE_SUMMARY_LUA });
    this.scripted = client as unknown as ScriptedClient;
    this.keys = new FleetKeys(fleetId);
  }

  async source(sessionId: string): Promise<SummarySource | null> {
    const k = this.keys.session(sessionId);
    const reply = await withDeadline(
      this.scripted.cfSummarySource(k.seq, k.turns, k.summary, k.owner),
      this.opts.opTimeoutMs,
      'summary_source',
    );
    return summarySourceReply(reply);
  }

  /** Compare-and-set: written only if the stored summary still ends at `expectedThrough`. */
  async write(
    sessionId: string,
    summary: { text: string; through: number; expectedThrough: number; taskId: string },
  ): Promise<SummaryWrite> {
    const k = this.keys.session(sessionId);
    const args = [
      summary.text,
      summary.through,
      summary.expectedThrough,
      this.opts.ttlSeconds,
      summary.taskId,
    ];
    const reply = await withDeadline(
      this.scripted.cfStoreSummary(k.summary, k.owner, ...args),
      this.opts.opTimeoutMs,
      'summary_write',
    );
    if (reply === 'done' || reply === 'duplicate' || reply === 'conflict' || reply === 'gone') return reply;
    throw badReply('summary write', reply);
  }
}
