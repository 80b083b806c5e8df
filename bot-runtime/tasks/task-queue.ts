import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { KafkaConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { runtimeKafka } from '../events/kafka-connection.js';
import type { Task } from './task.js';

/** Where chat turns enqueue background tasks; they never wait for it (the turn's reply does not). */
export interface TaskQueue {
  enqueue(task: Task & { sessionId: string }): void;
  close(timeoutMs: number): Promise<void>;
  readonly enabled: boolean;
}

export const disabledTaskQueue: TaskQueue = {
  enqueue: () => undefined,
  close: () => Promise.resolve(),
  enabled: false,
};

/** Sends in flight at most; past it a task is dropped and counted (a stalled broker cannot grow the heap). */
const MAX_PENDING = 1000;

/**
 * Tasks to KAFKA_TASKS_TOPIC from the chat pod's main thread: tasks are rare (one summary every
 * SUMMARIZE_AFTER_TURNS turns, a webhook per action intent), so they need none of the events
 * thread's batching. Keyed by session, so one session's tasks stay in order on one partition.
 * Idempotent producer: a retried send is not a second task (and task ids make a repeat harmless).
 */
export class KafkaTaskQueue implements TaskQueue {
  readonly enabled = true;
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;
  private pending = 0;
  private failing = false;
  private readonly sent: Counter<'type' | 'result'>;

  constructor(
    private readonly kafka: KafkaConfig,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.producer = runtimeKafka(kafka, 'tasks', log).producer({ idempotent: true, maxInFlightRequests: 1 });
    this.sent = new Counter({
      name: 'chatfleet_tasks_enqueued_total',
      help: 'Background tasks chat turns enqueued (result: sent, failed, dropped = too many sends pending).',
      labelNames: ['type', 'result'],
      registers: [registry],
    });
  }

  enqueue(task: Task & { sessionId: string }): void {
    if (this.pending >= MAX_PENDING) return this.sent.inc({ type: task.type, result: 'dropped' });
    this.pending += 1;
    this.send(task)
      .then(() => this.outcome(task, undefined))
      .catch((err: unknown) => this.outcome(task, err))
      .finally(() => (this.pending -= 1));
  }

  async close(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await this.producer.disconnect().catch(() => undefined);
  }

  private async send(task: Task & { sessionId: string }): Promise<void> {
    this.connecting ??= this.producer.connect().catch((err: unknown) => {
      this.connecting = undefined; // the next task tries again
      throw err;
    });
    await this.connecting;
    await this.producer.send({
      topic: this.kafka.tasksTopic,
      acks: -1,
      messages: [{ key: task.sessionId, value: JSON.stringify(task) }],
    });
  }

  /** Counted every time; logged once per outage (a down broker would otherwise log every task). */
  private outcome(task: Task, err: unknown): void {
    this.sent.inc({ type: task.type, result: err === undefined ? 'sent' : 'failed' });
    if (err === undefined) {
      if (this.failing) this.log.info('background tasks reach Kafka again');
      this.failing = false;
    } else if (!this.failing) {
      this.failing = true;
      this.log.warn({ err: errorMessage(err), type: task.type }, 'background task not enqueued');
    }
  }
}

export function openTaskQueue(kafka: KafkaConfig | undefined, log: Logger, registry: Registry): TaskQueue {
  return kafka ? new KafkaTaskQueue(kafka, log, registry) : disabledTaskQueue;
}
