import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { sharedPlugin, type SharedPlugin } from '../plugins/shared-plugin.js';
import { disabledEventSink, type EventSink } from './conversation-event.js';
import { KafkaEventPublisher } from './kafka-publisher.js';

/** Where turns publish; `pending` when the sink buffers (the Kafka publisher). */
export type AppEventSink = EventSink & { readonly pending?: number };

declare module 'fastify' {
  interface FastifyInstance {
    events: AppEventSink;
  }
}

export interface EventsPluginOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Tests: this sink instead of one opened from config (closed at onClose all the same). */
  sink?: AppEventSink;
}

function openPublisher(config: Config, log: Logger, metrics: Metrics): AppEventSink {
  if (!config.kafka) {
    log.warn('KAFKA_BROKERS not set: conversation events are off');
    return disabledEventSink;
  }
  const publisher = new KafkaEventPublisher(config.kafka, log, metrics, {
    bufferMax: config.eventsBufferMax,
    bufferMaxBytes: config.eventsBufferMaxBytes,
  });
  publisher.start();
  log.info({ topic: config.kafka.eventsTopic, brokers: config.kafka.brokers }, 'conversation events on');
  return publisher;
}

/**
 * Starts the Kafka event publisher (its thread connects in the background) and decorates the app
 * with it; onClose flushes what is buffered within EVENTS_FLUSH_TIMEOUT_MS and stops the thread.
 */
export function eventsPlugin(opts: EventsPluginOptions): SharedPlugin {
  return sharedPlugin((app: FastifyInstance): Promise<void> => {
    const sink = opts.sink ?? openPublisher(opts.config, opts.log, opts.metrics);
    app.decorate('events', sink);
    app.addHook('onClose', () => sink.close(opts.config.eventsFlushTimeoutMs));
    return Promise.resolve();
  });
}
