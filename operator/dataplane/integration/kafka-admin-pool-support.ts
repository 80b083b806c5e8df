// Shared setup of kafka-admin-pool*.test.ts: this run's name and SCRAM user, the SASL connections, a
// pool whose clients count their kafkajs connects, and a loopback listener that never answers.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { createKafkaAdminPoolMetrics } from '../../metrics.js';
import { requireKafkaBrokers } from '../../integration/support.js';
import { kafkaAdminFactory } from '../kafka/admin-client.js';
import { KafkaAdminPool } from '../kafka/admin-pool.js';
import type { AdminTarget, PooledClient } from '../kafka/admin-pool.js';
import type { KafkaConnection } from '../kafka/credentials.js';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source .testenv/env`);
  return value;
}

export const brokers = requireKafkaBrokers();
export const saslBrokers = requireEnv('KAFKA_SASL_BROKERS').split(',');
export const run = `h3kafka-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
// A SCRAM user of this run (kafka.sh add-user): other tests may re-password the shared one meanwhile.
export const scramUser = run;
export const scramPassword = `pw-${Math.random().toString(36).slice(2)}`;
export const scram: KafkaConnection = {
  sasl: { mechanism: 'scram-sha-512', username: scramUser, password: scramPassword },
};
export const plain: KafkaConnection = {
  sasl: {
    mechanism: 'plain',
    username: requireEnv('KAFKA_SASL_PLAIN_USER'),
    password: requireEnv('KAFKA_SASL_PLAIN_PASSWORD'),
  },
};

/** A real pool whose clients report their kafkajs CONNECT/DISCONNECT instrumentation events. */
export function countingPool(opts: { now?: () => number; idleMs?: number; maxEntries?: number } = {}) {
  const registry = new Registry();
  const events = { connects: 0, disconnects: 0 };
  const build = kafkaAdminFactory({ clientId: run });
  const pool = new KafkaAdminPool({
    ...opts,
    sweepEveryMs: 0,
    metrics: createKafkaAdminPoolMetrics(registry),
    createAdmin: (target: AdminTarget): PooledClient => {
      const client = build(target);
      const { admin } = client;
      admin.on(admin.events.CONNECT, () => (events.connects += 1));
      admin.on(admin.events.DISCONNECT, () => (events.disconnects += 1));
      return client;
    },
  });
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  return { pool, events, metric };
}

/** A loopback listener that accepts TCP, reads everything and never answers. */
export async function hungBroker(): Promise<{ port: number; sockets: Set<Socket>; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, sockets, server };
}

export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
