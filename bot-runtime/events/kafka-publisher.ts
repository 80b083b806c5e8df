import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { ConversationEvent, EventSink } from './conversation-event.js';
import { kafkaConnectionOptions } from './kafka-connection.js';
import { packEvent } from './event-packing.js';
import { eventSize, tooLargeForBroker } from './kafka-worker-protocol.js';
import type {
  FromKafkaThread,
  KafkaThreadData,
  OutgoingEvent,
  ToKafkaThread,
} from './kafka-worker-protocol.js';

/** A Kafka thread that died unexpectedly is restarted after 1 s, doubling up to 30 s while it keeps dying. */
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** How long close() waits for the Kafka thread beyond its own flush timeout. */
const CLOSE_GRACE_MS = 5000;

export interface PublisherOptions {
  bufferMax: number;
  /** Bound of the same events in bytes (characters of the serialised events); default: none. */
  bufferMaxBytes?: number;
}

export type DropReason = 'buffer_full' | 'shutdown' | 'producer_exit' | 'too_large';

/**
 * Conversation events to Kafka, off the reply path twice over: publish() only serialises the
 * event and appends it to an outbox, and the outbox goes once per tick to a Kafka thread
 * (kafka-worker.ts) that batches, encodes and sends with an idempotent producer (acks=all,
 * key = sessionId). The bound counts every event not yet acknowledged by the broker, wherever it
 * is; past it new events are dropped, counted and logged, never silently. While the broker is
 * down the Kafka thread retries with backoff and events wait, in order.
 */
export class KafkaEventPublisher implements EventSink {
  readonly enabled = true;
  private worker: Worker | undefined;
  /** Events of this event-loop turn, packed (event-packing.ts), and how many. */
  private outbox = '';
  private outboxCount = 0;
  private flushScheduled = false;
  /** Posted to the Kafka thread and not yet acknowledged by the broker. */
  private inThread = 0;
  /** Sizes (eventSize) of the outbox and of what the Kafka thread holds. */
  private outboxSize = 0;
  private inThreadSize = 0;
  private isConnected = false;
  private closing: Promise<void> | undefined;
  private onClosed: ((lost: number) => void) | undefined;
  private dropsSinceLog = 0;
  private restarts = 0;

  constructor(
    private readonly cfg: KafkaConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly opts: PublisherOptions,
  ) {}

  get connected(): boolean {
    return this.isConnected;
  }

  /** Events not yet acknowledged by Kafka (the outbox plus what the Kafka thread holds). */
  get pending(): number {
    return this.inThread + this.outboxCount;
  }

  start(): void {
    this.worker ??= this.spawn();
  }

  /** Bytes (characters of the serialised events) not yet acknowledged. */
  get pendingBytes(): number {
    return this.inThreadSize + this.outboxSize;
  }

  publish(event: ConversationEvent): void {
    if (this.pending >= this.opts.bufferMax || this.closing) {
      this.drop(this.closing ? 'shutdown' : 'buffer_full', 1);
      return;
    }
    const out: OutgoingEvent = { key: event.sessionId, value: JSON.stringify(event) };
    // Never sendable: the broker refuses it, and retrying it would stall every event behind it.
    if (tooLargeForBroker(out, this.cfg.maxMessageBytes)) return this.drop('too_large', 1);
    const size = eventSize(out);
    if (this.pendingBytes + size > (this.opts.bufferMaxBytes ?? Number.POSITIVE_INFINITY)) {
      return this.drop('buffer_full', 1);
    }
    this.outboxSize += size;
    this.outbox += packEvent(out.key, out.value);
    this.outboxCount += 1;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One postMessage per event-loop turn, however many turns finished in it.
      setImmediate(this.flush);
    }
  }

  close(timeoutMs: number): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    // The gauge once per turn of the event loop rather than once per event.
    this.metrics.eventsBuffered.set(this.pending);
    if (!this.worker || this.outboxCount === 0) return;
    const m: ToKafkaThread = { t: 'events', packed: this.outbox, n: this.outboxCount };
    this.outbox = '';
    this.inThread += m.n;
    this.outboxCount = 0;
    this.inThreadSize += this.outboxSize;
    this.outboxSize = 0;
    this.send(m);
  };

  private send(m: ToKafkaThread): void {
    this.worker?.postMessage(m);
  }

  private spawn(): Worker {
    const data: KafkaThreadData = {
      clientId: this.cfg.clientId,
      brokers: this.cfg.brokers,
      topic: this.cfg.eventsTopic,
      debug: this.log.isLevelEnabled('debug'),
      maxMessageBytes: this.cfg.maxMessageBytes,
      connection: kafkaConnectionOptions(this.cfg.credentials),
    };
    const worker = new Worker(kafkaThreadScript(), { workerData: data });
    // The HTTP server keeps the process alive; a forgotten publisher must not.
    worker.unref();
    worker.on('message', (m: FromKafkaThread) => this.onMessage(m));
    worker.on('error', (err) => this.log.error({ err }, 'Kafka thread failed'));
    worker.on('exit', (code) => this.onExit(worker, code));
    return worker;
  }

  private onMessage(m: FromKafkaThread): void {
    switch (m.t) {
      case 'produced':
        this.restarts = 0; // a thread that delivers is healthy
        this.inThread -= m.n;
        this.inThreadSize -= m.size;
        this.metrics.eventsProduced.inc(m.n);
        this.metrics.eventsBuffered.set(this.pending);
        return;
      case 'dropped':
        this.inThread -= m.n;
        this.inThreadSize -= m.size;
        this.drop(m.reason, m.n);
        this.metrics.eventsBuffered.set(this.pending);
        return;
      case 'connected':
        this.isConnected = m.value;
        return;
      case 'log':
        this.log[m.level]({ ...m.obj, component: 'kafka-producer' }, m.msg);
        return;
      case 'closed':
        this.onClosed?.(m.lost);
        return;
    }
  }

  /** An unexpected exit loses what the thread held: counted, logged, and a new thread takes over. */
  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker || this.closing) return;
    this.worker = undefined;
    this.isConnected = false;
    const lost = this.inThread;
    this.inThread = 0;
    this.inThreadSize = 0;
    if (lost > 0) this.drop('producer_exit', lost);
    this.metrics.eventsBuffered.set(this.pending);
    const delay = Math.min(RESTART_DELAY_MS * 2 ** this.restarts++, MAX_RESTART_DELAY_MS);
    this.log.error({ code, lost, restartInMs: delay }, 'Kafka thread exited; restarting it');
    setTimeout(() => {
      if (this.closing) return;
      this.start();
      this.flush();
    }, delay).unref();
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.flush();
    const worker = this.worker;
    // No thread (never started, or between restarts): what waits in the outbox is lost.
    const lost = worker ? await this.closeThread(worker, timeoutMs) : this.outboxCount;
    this.outbox = '';
    this.outboxCount = 0;
    this.inThread = 0;
    this.outboxSize = 0;
    this.inThreadSize = 0;
    if (lost > 0) {
      this.metrics.eventsDropped.inc({ reason: 'shutdown' }, lost);
      this.log.error({ lost }, 'events not delivered before shutdown');
    }
    this.metrics.eventsBuffered.set(0);
  }

  /** Asks the thread to send what it holds within timeoutMs; resolves how many it could not. */
  private async closeThread(worker: Worker, timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const lost = await new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(this.inThread), timeoutMs + CLOSE_GRACE_MS);
      timer.unref();
      this.onClosed = resolve;
      worker.once('exit', () => resolve(this.inThread));
      this.send({ t: 'close', timeoutMs });
    });
    clearTimeout(timer);
    this.worker = undefined;
    await worker.terminate();
    return lost;
  }

  private drop(reason: DropReason, n: number): void {
    this.metrics.eventsDropped.inc({ reason }, n);
    // Logged, never silent, but once per 1000 drops rather than per event during a long outage.
    const before = this.dropsSinceLog;
    if (before === 0 || Math.floor(before / 1000) !== Math.floor((before + n) / 1000)) {
      this.log.warn(
        { reason, dropped: before + n, capacity: this.opts.bufferMax },
        'dropping conversation events',
      );
    }
    this.dropsSinceLog += n;
  }
}

/**
 * The Kafka thread's entry: the compiled kafka-worker.js next to this file, or, when running from
 * TypeScript sources (tsx, Jest), a shim that registers tsx in the thread first.
 */
function kafkaThreadScript(): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(fromSources ? './kafka-worker-dev.mjs' : './kafka-worker.js', import.meta.url);
}
