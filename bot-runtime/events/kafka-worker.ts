/**
 * Entry point of the Kafka thread (a worker_threads Worker started by kafka-publisher.ts).
 * Encoding and sending record batches with kafkajs costs CPU per event; here it runs beside
 * the reply thread instead of on it, so a batch being encoded never delays a chat reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { unpackEvents } from './event-packing.js';
import { KafkaBatchSender } from './kafka-sender.js';
import type { FromKafkaThread, KafkaThreadData, ToKafkaThread } from './kafka-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('kafka-worker.ts runs as a worker thread (see kafka-publisher.ts)');
const data = workerData as KafkaThreadData;
const post = (m: FromKafkaThread): void => port.postMessage(m);

const LEVELS: Record<number, 'debug' | 'info' | 'warn' | 'error'> = { 20: 'debug', 30: 'info', 40: 'warn' };

/** Log records go to the reply thread's logger, so they carry its fields and obey its level. */
const log = pino(
  { level: data.debug ? 'debug' : 'info', base: undefined, timestamp: false },
  {
    write(line: string): void {
      const { level, msg, ...obj } = JSON.parse(line) as { level: number; msg: string };
      post({ t: 'log', level: LEVELS[level] ?? 'error', msg, obj });
    },
  },
);

const sender = new KafkaBatchSender(data, log, {
  produced: (n, size) => post({ t: 'produced', n, size }),
  tooLarge: (n, size) => post({ t: 'dropped', n, size, reason: 'too_large' }),
  connected: (value) => post({ t: 'connected', value }),
});
sender.start();

port.on('message', (m: ToKafkaThread) => {
  if (m.t === 'events') {
    sender.enqueue(unpackEvents(m.packed));
    return;
  }
  void sender.close(m.timeoutMs).then((lost) => {
    post({ t: 'closed', lost });
    port.close();
  });
});
