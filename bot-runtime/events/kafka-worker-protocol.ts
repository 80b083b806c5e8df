import type { KafkaConnection } from './kafka-connection.js';

/**
 * Messages between the reply thread (kafka-publisher.ts) and the Kafka thread (kafka-worker.ts).
 * Events cross packed into one string per event-loop turn (event-packing.ts): cloning one string
 * is far cheaper than cloning an array of objects.
 */
export interface OutgoingEvent {
  key: string;
  value: string;
}

export type ToKafkaThread =
  /** n events, packed by packEvent. */
  | { t: 'events'; packed: string; n: number }
  /** Send what is queued for at most timeoutMs, then disconnect and answer 'closed'. */
  | { t: 'close'; timeoutMs: number };

export type FromKafkaThread =
  /** n events of `size` (by eventSize) acknowledged by the broker. */
  | { t: 'produced'; n: number; size: number }
  /** n events of `size` given up on: the broker refused them as too large even alone. */
  | { t: 'dropped'; n: number; size: number; reason: 'too_large' }
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
  /** The broker's message.max.bytes as configured (KAFKA_MAX_MESSAGE_BYTES): bound of one batch. */
  maxMessageBytes: number;
  /** SASL and TLS (kafkaConnectionOptions). Holds the password: never logged. */
  connection: KafkaConnection;
}

/** What an event counts for in the buffer bounds: its characters (cheap, and one unit on both threads). */
export function eventSize(e: OutgoingEvent): number {
  return e.key.length + e.value.length;
}

/** Bytes of a record batch's framing, and of one record's beyond its key and value (generous). */
export const BATCH_OVERHEAD_BYTES = 128;
export const RECORD_OVERHEAD_BYTES = 32;

/** UTF-8 bytes an event takes in a record batch. */
export function recordBytes(e: OutgoingEvent): number {
  return Buffer.byteLength(e.key, 'utf8') + Buffer.byteLength(e.value, 'utf8') + RECORD_OVERHEAD_BYTES;
}

/**
 * Whether one event cannot be sent at all: alone in a batch it would pass maxMessageBytes. Most
 * events are far below; the exact UTF-8 size is only computed near the limit.
 */
export function tooLargeForBroker(e: OutgoingEvent, maxMessageBytes: number): boolean {
  const budget = maxMessageBytes - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES;
  if ((e.key.length + e.value.length) * 3 <= budget) return false;
  return recordBytes(e) - RECORD_OVERHEAD_BYTES > budget;
}
