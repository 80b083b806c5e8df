/**
 * kafkajs admin clients for the pool (./admin-pool.ts): one per broker set and credentials, with
 * short connection timeouts, kafkajs logs routed to the operator's logger, and every socket tracked
 * so the pool can destroy those of a client stuck on a hung broker.
 */
import kafkajs from 'kafkajs';
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory, LogEntry } from 'kafkajs';
import type { AdminTarget, PooledClient } from './admin-pool.js';

// kafkajs is CommonJS and builds its exports with a spread: take them from the default export.
const { Kafka, logLevel } = kafkajs;

export interface KafkaLogger {
  debug(obj: object, msg: string): void;
}

/** How admin clients are built; the pool's key never includes these (they are the operator's, not a CR's). */
export interface KafkaClientOptions {
  clientId?: string;
  /** Short on purpose: an unreachable broker must surface as KafkaUnavailable quickly. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retries?: number;
  logger?: KafkaLogger;
}

/**
 * kafkajs's own socket factory (net or tls, keep-alive 60 s), remembering each socket until it
 * closes, so the pool can destroy the sockets of a client stuck on a hung broker.
 */
function trackedSockets(): { factory: ISocketFactory; destroyAll: () => void } {
  const open = new Set<Socket>();
  const factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    return socket;
  };
  return {
    factory,
    destroyAll: () => {
      for (const socket of open) socket.destroy();
    },
  };
}

/** Builds unconnected kafkajs admin clients for a target, for the pool. */
export function kafkaAdminFactory(opts: KafkaClientOptions = {}): (target: AdminTarget) => PooledClient {
  const logger = opts.logger;
  return (target) => {
    const sockets = trackedSockets();
    const admin = new Kafka({
      clientId: opts.clientId ?? 'chatfleet-operator',
      brokers: [...target.brokers],
      ssl: target.connection?.ssl,
      sasl: target.connection?.sasl,
      connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
      requestTimeout: opts.requestTimeoutMs ?? 15_000,
      retry: { retries: opts.retries ?? 1, initialRetryTime: 200, maxRetryTime: 1_000 },
      logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry: LogEntry) =>
        logger?.debug({ kafkajs: entry.log, namespace: entry.namespace }, 'kafkajs'),
      socketFactory: sockets.factory,
    }).admin();
    return { admin, destroySockets: sockets.destroyAll };
  };
}
