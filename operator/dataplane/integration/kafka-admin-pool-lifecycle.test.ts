/**
 * The Kafka admin pool's lifecycle against the REAL broker of the test environment (plaintext and
 * SASL listeners): idle eviction and the LRU cap with an injected clock; an evicted client in use
 * keeps working and is disconnected at its release.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdminTarget } from '../kafka/admin-pool.js';
import { kafkaUsers } from './kafka-support.js';
import {
  brokers,
  countingPool,
  eventually,
  plain,
  saslBrokers,
  scram,
  scramPassword,
  scramUser,
} from './kafka-admin-pool-support.js';

describe('Kafka admin pool lifecycle (real broker, injected clock)', () => {
  beforeAll(async () => {
    await kafkaUsers('add-user', scramUser, scramPassword);
  }, 180_000);

  afterAll(async () => {
    await kafkaUsers('remove-user', scramUser).catch(() => undefined);
  }, 180_000);

  it('idle clients are closed after the idle period (injected clock), and the next use reconnects', async () => {
    let now = 0;
    const { pool, events } = countingPool({ now: () => now, idleMs: 300_000 });
    const lease = pool.acquire({ brokers });
    await lease.connected;
    await lease.admin.listTopics();
    lease.release();
    now += 299_000;
    pool.sweep();
    expect(pool.size).toBe(1);
    now += 1_000;
    pool.sweep();
    expect(pool.size).toBe(0);
    expect(await eventually(() => events.disconnects === 1, 5_000)).toBe(true);
    const next = pool.acquire({ brokers });
    await next.connected;
    expect(events.connects).toBe(2);
    next.release();
    await pool.close();
  });

  it('the LRU cap: an idle client goes first; one evicted while in use keeps working until its release', async () => {
    let now = 0;
    const { pool, events, metric } = countingPool({ now: () => now, maxEntries: 2 });
    const [plainBroker, viaScram, viaPlain]: AdminTarget[] = [
      { brokers },
      { brokers: saslBrokers, connection: scram },
      { brokers: saslBrokers, connection: plain },
    ];
    const held = pool.acquire(plainBroker!); // the oldest, in use throughout
    await held.connected;
    now += 1;
    const second = pool.acquire(viaScram!);
    await second.connected;
    now += 1;
    // A third key over a cap of 2 with both in use: the least recently used (held) leaves the pool...
    const third = pool.acquire(viaPlain!);
    await third.connected;
    expect(pool.size).toBe(2);
    expect(await metric('chatfleet_operator_kafka_admin_evictions_total', '{reason="lru"}')).toBe(1);
    // ...but is not disconnected under its user.
    expect(await held.admin.listTopics()).toEqual(expect.any(Array));
    expect(events.disconnects).toBe(0);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(3);
    held.release();
    expect(await eventually(() => events.disconnects === 1, 5_000)).toBe(true);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(2);

    // Now second is idle and third in use (and older): a new key evicts the idle one, not the older one.
    now += 1;
    second.release();
    now += 1;
    const again = pool.acquire(plainBroker!);
    await again.connected;
    expect(await eventually(() => events.disconnects === 2, 5_000)).toBe(true);
    expect(await third.admin.listTopics()).toEqual(expect.any(Array));
    expect(pool.size).toBe(2);
    expect(events.connects).toBe(4);
    third.release();
    again.release();
    await pool.close();
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(0);
  });
});
