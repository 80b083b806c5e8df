/**
 * Messages between the reply thread (kafka-publisher.ts) and the Kafka thread (kafka-worker.ts).
 * Events cross as { key, value } strings: cloning a string is far cheaper than cloning an object.
 */
export interface OutgoingEvent {
  key: string;
  value: string;
}

export type ToKafkaThread =
  | { t: 'events'; events: OutgoingEvent[] }
  /** Send what is queued for at most timeoutMs, then disconnect and answer 'closed'. */
  | { t: 'close'; timeoutMs: number };

export type FromKafkaThread =
  | { t: 'produced'; n: number }
  | { t: 'connected'; value: boolean }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; obj: Record<string, unknown> }
  /** Events still queued when the close timeout ran out: they are lost, and counted as such. */
  | { t: 'closed'; lost: number };

/** What the Kafka thread is started with (worker_threads workerData). */
export interface KafkaThreadData {
  clientId: string;
  brokers: string[];
  topic: string;
  debug: boolean;
}
