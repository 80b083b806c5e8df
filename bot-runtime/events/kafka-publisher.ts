import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { ConversationEvent, EventSink } from './conversation-event.js';
import { EventBuffer } from './event-buffer.js';
import { kafkaLogCreator } from './kafka-logging.js';

const BATCH_SIZE = 1000;
/**
 * Like the Java producer's linger.ms: wait this long for a batch to fill before sending. Fewer,
 * larger produce requests cost the process and the broker much less CPU per event; the reply never
 * waits for it.
 */
const LINGER_MS = 20;
const MAX_BACKOFF_MS = 2000;
/** After this many failed sends in a row the producer is rebuilt (fresh producer id and metadata). */
const RECREATE_AFTER_FAILURES = 5;

export interface PublisherOptions {
  bufferMax: number;
}

/**
 * Buffered, batched producer of conversation events. publish() only appends to a bounded
 * in-memory buffer, so the reply never waits for Kafka; one background loop sends batches with
 * an idempotent producer (acks=all, key = sessionId). While the broker is down the loop retries
 * with backoff and events wait; past the bound new events are dropped, counted and logged.
 */
export class KafkaEventPublisher implements EventSink {
  readonly enabled = true;
  private readonly buffer: EventBuffer<ConversationEvent>;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private isConnected = false;
  private wake: (() => void) | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private failures = 0;
  private dropsSinceLog = 0;

  constructor(
    private readonly cfg: KafkaConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    opts: PublisherOptions,
  ) {
    this.buffer = new EventBuffer(opts.bufferMax);
    this.kafka = new Kafka({
      clientId: cfg.clientId,
      brokers: cfg.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(log.child({ component: 'kafka-producer' })),
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: 3000,
      requestTimeout: 10_000,
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get pending(): number {
    return this.buffer.pending;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Connects ahead of the first event, so /readyz can report Kafka; failures are retried on send. */
  private async connectEarly(): Promise<void> {
    try {
      await this.ensureProducer();
      this.log.info('Kafka producer connected');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Kafka not reachable yet; events are buffered');
    }
  }

  publish(event: ConversationEvent): void {
    if (this.buffer.push(event)) {
      this.metrics.eventsBuffered.set(this.buffer.pending);
      this.wake?.();
      return;
    }
    this.metrics.eventsDropped.inc({ reason: 'buffer_full' });
    // Logged, never silent, but not once per event during a long outage.
    if (this.dropsSinceLog++ % 1000 === 0) {
      this.log.warn(
        { dropped: this.dropsSinceLog, capacity: this.buffer.capacity },
        'event buffer full; dropping events',
      );
    }
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.pending > 0 && Date.now() < deadline) await sleep(20);
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const lost = this.buffer.drain().length;
    if (lost > 0) {
      this.metrics.eventsDropped.inc({ reason: 'shutdown' }, lost);
      this.log.error({ lost }, 'events not delivered before shutdown');
    }
    this.metrics.eventsBuffered.set(0);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    await this.connectEarly();
    while (!this.stopping) {
      if (this.buffer.queued === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (this.buffer.queued < BATCH_SIZE && !this.stopping) await sleep(LINGER_MS);
      const ok = await this.sendOneBatch();
      if (!ok && !this.stopping) await sleep(Math.min(100 * 2 ** Math.min(this.failures, 5), MAX_BACKOFF_MS));
    }
  }

  private async sendOneBatch(): Promise<boolean> {
    const batch = this.buffer.take(BATCH_SIZE);
    try {
      const producer = await this.ensureProducer();
      await producer.send({
        topic: this.cfg.eventsTopic,
        acks: -1,
        messages: batch.map((e) => ({ key: e.sessionId, value: JSON.stringify(e) })),
      });
      this.buffer.ack();
      this.metrics.eventsProduced.inc(batch.length);
      if (this.failures > 0)
        this.log.info({ afterFailures: this.failures }, 'Kafka reachable again; events flowing');
      this.failures = 0;
      return true;
    } catch (err) {
      this.buffer.nack(batch);
      this.failures += 1;
      this.isConnected = false;
      if (this.failures === 1)
        this.log.warn({ err, pending: this.buffer.pending }, 'cannot produce events; retrying');
      if (this.failures % RECREATE_AFTER_FAILURES === 0) await this.resetProducer();
      return false;
    } finally {
      this.metrics.eventsBuffered.set(this.buffer.pending);
    }
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer && this.isConnected) return this.producer;
    this.producer ??= this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2 by key, like the Java client
    });
    await this.producer.connect();
    this.isConnected = true;
    return this.producer;
  }

  private async resetProducer(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    this.isConnected = false;
    await old?.disconnect().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
