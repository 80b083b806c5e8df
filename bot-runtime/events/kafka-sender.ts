import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { cachedDefaultPartitioner } from './cached-partitioner.js';
import { EventBuffer } from './event-buffer.js';
import { describeKafkaAuthFailure } from './kafka-connection.js';
import { kafkaLogCreator } from './kafka-logging.js';
import {
  BATCH_OVERHEAD_BYTES,
  eventSize,
  recordBytes,
  type KafkaThreadData,
  type OutgoingEvent,
} from './kafka-worker-protocol.js';

const BATCH_SIZE = 2000;
/**
 * Like the Java producer's linger.ms: wait this long for a batch to fill before sending. Fewer,
 * larger produce requests cost the process and the broker much less CPU per event: measured with
 * bench/events-cost.ts, the broker's CPU per event fell about fourfold from 250 to 1000 events a
 * request, and at 10-20k turns/s 100 ms gathers that many. Events are off the reply path, and
 * close() drains without lingering.
 */
const LINGER_MS = 100;
const MAX_BACKOFF_MS = 2000;
/**
 * While disconnected with nothing to send, try to connect this often: otherwise a pod that started
 * while the broker was away (or whose last send failed) reports Kafka disconnected in /readyz until
 * its next event, however long the broker has been back.
 */
const IDLE_RECONNECT_MS = 5000;
/** After this many failed sends in a row the producer is rebuilt (fresh producer id and metadata). */
const RECREATE_AFTER_FAILURES = 5;

/** What the sender reports; the Kafka thread forwards it to the reply thread. */
export interface SenderObserver {
  /** n events of `size` (eventSize) acknowledged. */
  produced(n: number, size: number): void;
  /** n events of `size` the broker refused as too large even alone: given up on. */
  tooLarge(n: number, size: number): void;
  connected(value: boolean): void;
}

/**
 * The send loop of the Kafka thread: an idempotent producer (acks=all, key = sessionId) sends
 * what is queued in batches. While the broker is down it retries with backoff and events wait,
 * in order. The queue is bounded by the reply thread, which never has more than bufferMax events
 * unacknowledged, so enqueue() never refuses.
 */
export class KafkaBatchSender {
  private readonly buffer: EventBuffer<OutgoingEvent>;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private isConnected = false;
  private wake: (() => void) | undefined;
  private stopping = false;
  /** close() was called: send what is queued at once, without waiting for batches to fill. */
  private draining = false;
  private loop: Promise<void> | undefined;
  private failures = 0;
  /** Bound of the next batch in bytes: the broker's limit, halved while it refuses batches as too large. */
  private batchBytes: number;
  private tooLargeDrops = 0;

  constructor(
    private readonly cfg: KafkaThreadData,
    private readonly log: Logger,
    private readonly observer: SenderObserver,
  ) {
    // Unbounded here on purpose: the reply thread never hands over more than bufferMax
    // unacknowledged events, and counts its drops itself.
    this.buffer = new EventBuffer(Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, recordBytes);
    this.batchBytes = this.maxBatchBytes;
    this.kafka = new Kafka({
      clientId: cfg.clientId,
      brokers: cfg.brokers,
      ...cfg.connection,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(log.child({ component: 'kafka-producer' })),
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: 3000,
      requestTimeout: 10_000,
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  enqueue(events: readonly OutgoingEvent[]): void {
    for (const e of events) this.buffer.push(e);
    this.wake?.();
  }

  /** Sends what is queued for at most timeoutMs, stops, and returns how many events were left. */
  async close(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    this.draining = true;
    while (this.buffer.pending > 0 && Date.now() < deadline) await sleep(20);
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const lost = this.buffer.drain().length;
    await this.producer?.disconnect().catch(() => undefined);
    return lost;
  }

  /** Connects ahead of the first event, so /readyz can report Kafka; failures are retried on send. */
  private async connectEarly(): Promise<void> {
    try {
      await this.ensureProducer();
      this.log.info(this.connectionFacts(), 'Kafka producer connected');
    } catch (err) {
      this.log.warn({ err: this.reason(err) }, 'Kafka not reachable yet; events are buffered');
    }
  }

  private async run(): Promise<void> {
    await this.connectEarly();
    while (!this.stopping) {
      if (this.buffer.queued === 0) {
        await this.idle();
        continue;
      }
      if (this.buffer.queued < BATCH_SIZE && !this.draining) await sleep(LINGER_MS);
      const ok = await this.sendOneBatch();
      if (!ok && !this.stopping) await sleep(Math.min(100 * 2 ** Math.min(this.failures, 5), MAX_BACKOFF_MS));
    }
  }

  /** Until an event is queued (or close); while disconnected, a connect attempt every IDLE_RECONNECT_MS. */
  private async idle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const woken = new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      if (!this.isConnected) timer = setTimeout(() => resolve(false), IDLE_RECONNECT_MS);
    });
    const byEvent = await woken;
    clearTimeout(timer);
    this.wake = undefined;
    if (byEvent || this.stopping || this.isConnected) return;
    try {
      await this.ensureProducer();
      this.log.info(this.connectionFacts(), 'Kafka producer connected');
    } catch {
      // still away: the next idle round tries again (kafkajs has logged the connection error)
    }
  }

  /** How the producer logs in: mechanism and user, never the password or the CA. */
  private connectionFacts(): Record<string, unknown> {
    const { sasl, ssl } = this.cfg.connection;
    const user = sasl && 'username' in sasl ? sasl.username : undefined;
    return { sasl: sasl?.mechanism ?? 'none', ...(user !== undefined && { user }), tls: ssl !== undefined };
  }

  /** Why a connect or send failed; a refused login names the user and mechanism (never the password). */
  private reason(err: unknown): string {
    const message = errorMessage(err);
    return describeKafkaAuthFailure(err, this.cfg.connection.sasl) ?? message;
  }

  private get maxBatchBytes(): number {
    return this.cfg.maxMessageBytes - BATCH_OVERHEAD_BYTES;
  }

  private async sendOneBatch(): Promise<boolean> {
    const batch = this.buffer.take(BATCH_SIZE, this.batchBytes);
    try {
      const producer = await this.ensureProducer();
      await producer.send({ topic: this.cfg.topic, acks: -1, messages: batch });
      this.buffer.ack();
      this.observer.produced(batch.length, sizeOfAll(batch));
      this.batchBytes = this.maxBatchBytes;
      if (this.failures > 0)
        this.log.info({ afterFailures: this.failures }, 'Kafka reachable again; events flowing');
      this.failures = 0;
      return true;
    } catch (err) {
      if (isTooLarge(err)) return this.splitOrDrop(batch);
      this.buffer.nack(batch);
      this.failures += 1;
      this.setConnected(false);
      if (this.failures === 1)
        this.log.warn(
          { err: this.reason(err), pending: this.buffer.pending },
          'cannot produce events; retrying',
        );
      if (this.failures % RECREATE_AFTER_FAILURES === 0) await this.resetProducer();
      return false;
    }
  }

  /**
   * The broker refused the batch as too large (its limit is below KAFKA_MAX_MESSAGE_BYTES): the
   * batch is split, by halving the bound of the next one, until it is one event; an event the
   * broker refuses alone is dropped and counted, never retried forever.
   */
  private splitOrDrop(batch: OutgoingEvent[]): boolean {
    if (batch.length > 1) {
      this.buffer.nack(batch);
      const bytes = batch.reduce((sum, e) => sum + recordBytes(e), 0);
      this.batchBytes = Math.max(1, Math.floor(bytes / 2));
      return true;
    }
    this.buffer.ack();
    const size = sizeOfAll(batch);
    // Once: the reply thread counts and logs every drop (throttled) when it hears of it.
    if (this.tooLargeDrops++ === 0)
      this.log.warn(
        { bytes: batch[0] ? recordBytes(batch[0]) : 0, maxMessageBytes: this.cfg.maxMessageBytes },
        'broker refused an event as too large even alone; dropped (is KAFKA_MAX_MESSAGE_BYTES above its limit?)',
      );
    this.observer.tooLarge(batch.length, size);
    return true;
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer && this.isConnected) return this.producer;
    this.producer ??= this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: cachedDefaultPartitioner, // murmur2 by key, like the Java client
    });
    await this.producer.connect();
    this.setConnected(true);
    return this.producer;
  }

  private setConnected(value: boolean): void {
    if (this.isConnected === value) return;
    this.isConnected = value;
    this.observer.connected(value);
  }

  private async resetProducer(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    this.setConnected(false);
    await old?.disconnect().catch(() => undefined);
  }
}

function sizeOfAll(batch: readonly OutgoingEvent[]): number {
  return batch.reduce((sum, e) => sum + eventSize(e), 0);
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Whether a kafkajs error (possibly wrapped, or one of several) is the broker's size refusal. */
export function isTooLarge(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && TOO_LARGE.has(e.type)) return true;
  const inner = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])];
  return inner.some((x) => isTooLarge(x, depth + 1));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
