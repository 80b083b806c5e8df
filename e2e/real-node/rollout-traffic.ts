/**
 * Traffic and measurements of the rollout suite (rollout.test.ts): conversations from the host through
 * the fleet's Service (a fresh TCP connection per turn, so kube-proxy picks a pod every time), a
 * WebSocket conversation that reconnects when its pod goes away, and the probe that times how long a
 * routing change takes to reach every pod.
 */
import WebSocket from 'ws';
import type { Fleet } from './rollout-fleet.js';
import { sleep } from './rollout-fleet.js';
import { httpText, postJsonFresh } from './support.js';

/** Phrases the example bundle answers with confidence 0.73-0.85: an intent at its threshold 0.45,
 * the fallback at 0.99 (the bad bundle). */
export const MESSAGES = [
  'where is my order please',
  'hello there bot',
  'can i return this item',
  'how much does shipping cost',
  'i want to cancel my order now',
  'thank you so much',
  'talk to a human please',
];

export interface ChatReply {
  sessionId: string;
  modelVersion: string;
  turn: number;
  source: string;
}

export interface Turn extends ChatReply {
  /** When the reply arrived (Date.now()). */
  at: number;
}

export interface Conversation {
  sessionId: string;
  startedAt: number;
  turns: Turn[];
  /** Turns that got no 200 reply (the server may or may not have recorded them). */
  failed: number;
}

export function firstVersion(c: Conversation): string {
  return c.turns[0]?.modelVersion ?? '';
}

/** One turn over a fresh connection: the reply, or why there was none (status and error code, for the report). */
export async function chatOrFailure(
  base: string,
  message: string,
  sessionId?: string,
): Promise<{ turn: Turn } | { failure: string }> {
  try {
    const res = await postJsonFresh(`${base}/v1/chat`, { message, ...(sessionId ? { sessionId } : {}) });
    if (res.status !== 200) {
      const code = (res.json as { error?: { code?: unknown } } | undefined)?.error?.code;
      return { failure: `HTTP ${res.status}${typeof code === 'string' ? ` ${code}` : ''}` };
    }
    const r = res.json as ChatReply;
    const turn = { sessionId: r.sessionId, modelVersion: r.modelVersion, turn: r.turn, source: r.source };
    return { turn: { ...turn, at: Date.now() } };
  } catch (err) {
    return { failure: (err as { code?: string }).code ?? (err as Error).message };
  }
}

/** One turn over a fresh connection; undefined on any failure (counted by the caller). */
export async function chat(base: string, message: string, sessionId?: string): Promise<Turn | undefined> {
  const r = await chatOrFailure(base, message, sessionId);
  return 'turn' in r ? r.turn : undefined;
}

export interface TrafficOptions {
  workers: number;
  turnsPerConversation: number;
  /** Pause between two turns of one worker. */
  pauseMs: number;
}

/** Workers that each run conversations of a few turns, one after another, until stopped. */
export class Traffic {
  readonly conversations: Conversation[] = [];
  failures = 0;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly base: string,
    private readonly o: TrafficOptions,
  ) {}

  start(): this {
    this.running = true;
    this.workers = Array.from({ length: this.o.workers }, (_, i) => this.worker(i));
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Every turn of every conversation with `version`, in arrival order. */
  turnsOf(version: string): Turn[] {
    return this.conversations
      .flatMap((c) => c.turns)
      .filter((t) => t.modelVersion === version)
      .sort((a, b) => a.at - b.at);
  }

  private async worker(i: number): Promise<void> {
    let n = i;
    while (this.running) {
      const first = await chat(this.base, MESSAGES[n++ % MESSAGES.length]!);
      if (first === undefined) {
        this.failures++;
        await sleep(200);
        continue;
      }
      const conv: Conversation = {
        sessionId: first.sessionId,
        startedAt: first.at,
        turns: [first],
        failed: 0,
      };
      this.conversations.push(conv);
      await this.continueConversation(conv, n);
    }
  }

  private async continueConversation(conv: Conversation, n: number): Promise<void> {
    for (let t = 1; t < this.o.turnsPerConversation && this.running; t++) {
      await sleep(this.o.pauseMs);
      const turn = await chat(this.base, MESSAGES[(n + t) % MESSAGES.length]!, conv.sessionId);
      if (turn === undefined) {
        this.failures++;
        conv.failed++;
      } else conv.turns.push(turn);
    }
    await sleep(this.o.pauseMs);
  }
}

/**
 * Times routing changes: polls the routing ConfigMap and every Ready pod's chatfleet_rollout_generation
 * every `everyMs`; for each generation first seen in the ConfigMap while running, the time until every
 * pod reported it (an upper bound of the true delay plus at most one poll period).
 */
export class GenerationProbe {
  readonly delays: { generation: number; ms: number; pods: number; change: string }[] = [];
  /** chatfleet_forward_total by result, as last read from each pod (by name). */
  private readonly forwards = new Map<string, Record<string, number>>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly fleet: Fleet,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let known = (await this.fleet.routing().catch(() => undefined))?.generation ?? 0;
    const pending = new Map<number, { seenAt: number; change: string }>();
    let pods = await this.fleet.pods();
    let podsAt = Date.now();
    while (this.running) {
      const routing = await this.fleet.routing().catch(() => undefined);
      if (routing !== undefined && routing.generation > known) {
        const change = routing.aborted ? 'abort' : `weight ${routing.canaryWeight}`;
        pending.set(routing.generation, { seenAt: Date.now(), change });
        known = routing.generation;
      }
      if (Date.now() - podsAt > 500) [pods, podsAt] = [await this.fleet.pods(), Date.now()];
      const scraped = await Promise.all(pods.map((p) => podRollout(p.ip)));
      scraped.forEach((m, i) => this.forwards.set(pods[i]!.name, m.forwards));
      const reported = scraped.map((m) => m.generation);
      const lowest = Math.min(...reported);
      for (const [generation, p] of pending) {
        if (reported.length === 0 || lowest < generation) continue;
        this.delays.push({ generation, ms: Date.now() - p.seenAt, pods: reported.length, change: p.change });
        pending.delete(generation);
      }
      await sleep(this.everyMs);
    }
  }

  /** Forwarded turns by result, summed over every pod seen (a pod's last reading). */
  forwardResults(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const byResult of this.forwards.values()) {
      for (const [result, n] of Object.entries(byResult)) sum[result] = (sum[result] ?? 0) + n;
    }
    return sum;
  }
}

/** A pod's chatfleet_rollout_generation (-1 when unreadable) and chatfleet_forward_total by result. */
export async function podRollout(
  ip: string,
): Promise<{ generation: number; forwards: Record<string, number> }> {
  const text = (await httpText(`http://${ip}:8080/metrics`).catch(() => undefined))?.body ?? '';
  const line = /^chatfleet_rollout_generation (\S+)$/m.exec(text);
  const forwards: Record<string, number> = {};
  for (const m of text.matchAll(/^chatfleet_forward_total\{result="([a-z_]+)"\} (\S+)$/gm))
    forwards[m[1]!] = Number(m[2]);
  return { generation: line ? Number(line[1]) : -1, forwards };
}

/**
 * A conversation over WebSocket through the fleet's Service. The socket stays open across turns; when
 * the server closes it (its pod is replaced), the next turn reconnects and carries on with the same
 * sessionId. `reconnects` counts that.
 */
export class WsConversation {
  readonly replies: Turn[] = [];
  reconnects = 0;
  sessionId: string | undefined;
  private ws: WebSocket | undefined;
  private waiting: ((reply: ChatReply | undefined) => void) | undefined;

  constructor(private readonly wsUrl: string) {}

  async send(message: string): Promise<Turn | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ws = await this.socket();
      const reply = await this.exchange(ws, message);
      if (reply !== undefined && typeof reply.turn === 'number') {
        const turn: Turn = { ...reply, at: Date.now() };
        this.sessionId = reply.sessionId;
        this.replies.push(turn);
        return turn;
      }
      await sleep(300); // closed before the reply: the turn was not answered, send it again
    }
    return undefined;
  }

  close(): void {
    this.ws?.close();
  }

  private async socket(): Promise<WebSocket> {
    if (this.ws?.readyState === WebSocket.OPEN) return this.ws;
    if (this.ws !== undefined) this.reconnects++;
    const ws = new WebSocket(this.wsUrl);
    ws.on('message', (data: Buffer) => {
      const done = this.waiting;
      this.waiting = undefined;
      done?.(JSON.parse(data.toString('utf8')) as ChatReply);
    });
    ws.on('close', () => {
      const done = this.waiting;
      this.waiting = undefined;
      done?.(undefined);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined); // a reset after the handshake ends in 'close', handled above
    this.ws = ws;
    return ws;
  }

  private exchange(ws: WebSocket, message: string): Promise<ChatReply | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, 10_000);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      ws.send(JSON.stringify({ message, ...(this.sessionId ? { sessionId: this.sessionId } : {}) }));
    });
  }
}
