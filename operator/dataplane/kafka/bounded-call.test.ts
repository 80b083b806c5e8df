import { describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { boundedCall } from './bounded-call.js';
import type { CallBounds } from './bounded-call.js';
import { KafkaCallAbortedError, KafkaCallTimeoutError, KafkaUnavailableError } from './errors.js';

const never = (): Promise<never> => new Promise<never>(() => undefined);
const after = <T>(ms: number, value: T): Promise<T> => new Promise((r) => setTimeout(() => r(value), ms));

function bounds(over: Partial<CallBounds> = {}): CallBounds {
  const now = (): number => performance.now();
  return { brokers: 'a:9092,b:9092', callTimeoutMs: 200, deadlineAt: now() + 10_000, now, ...over };
}

describe('boundedCall', () => {
  it('settles with the call when it answers in time', async () => {
    await expect(boundedCall('listTopics', bounds(), () => after(10, ['t']))).resolves.toEqual(['t']);
  });

  it('passes the call’s own failure through', async () => {
    const refused = new Error('TOPIC_AUTHORIZATION_FAILED');
    await expect(boundedCall('createTopics', bounds(), () => Promise.reject(refused))).rejects.toBe(refused);
  });

  // [what, callTimeoutMs, session ms left, expected wait ms, message]
  const table: [string, number, number, number, string][] = [
    [
      'the per-call bound',
      150,
      10_000,
      150,
      'Kafka brokers a:9092,b:9092 did not answer listTopics within 150 ms',
    ],
    [
      'what is left of the session',
      5_000,
      120,
      120,
      'Kafka brokers a:9092,b:9092 did not answer listTopics within',
    ],
  ];
  it.each(table)(
    'a call that never answers ends at %s',
    async (_what, callTimeoutMs, leftMs, waitMs, message) => {
      const started = performance.now();
      const over = { callTimeoutMs, deadlineAt: started + leftMs };
      const err = await boundedCall('listTopics', bounds(over), never).catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(err).toBeInstanceOf(KafkaCallTimeoutError);
      expect(err).toBeInstanceOf(KafkaUnavailableError); // reported as TopicsReady=False/KafkaUnavailable
      expect((err as Error).message).toContain(message);
      expect(took).toBeGreaterThanOrEqual(waitMs - 20);
      expect(took).toBeLessThan(waitMs + 150);
    },
  );

  it('a spent session starts no call at all', async () => {
    let called = false;
    const err = await boundedCall('deleteTopics', bounds({ deadlineAt: performance.now() - 1 }), () => {
      called = true;
      return Promise.resolve();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaCallTimeoutError);
    expect(called).toBe(false);
  });

  it('an abort ends the wait at once and says why; an aborted signal starts no call', async () => {
    const abort = new AbortController();
    const pending = boundedCall(
      'describeCluster',
      bounds({ callTimeoutMs: 10_000, signal: abort.signal }),
      never,
    ).catch((e: unknown) => e);
    const abortedAt = performance.now();
    setTimeout(() => abort.abort(new Error('leadership lost')), 0);
    const err = await pending;
    expect(err).toBeInstanceOf(KafkaCallAbortedError);
    expect((err as Error).message).toBe(
      'Kafka describeCluster to brokers a:9092,b:9092 cancelled: leadership lost',
    );
    expect(performance.now() - abortedAt).toBeLessThan(100);

    let called = false;
    const again = await boundedCall('listTopics', bounds({ signal: abort.signal }), () => {
      called = true;
      return Promise.resolve();
    }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(KafkaCallAbortedError);
    expect(called).toBe(false);
  });
});
