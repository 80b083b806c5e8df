import { describe, expect, it } from '@jest/globals';
import { FakeClock } from './clock.js';
import { ExponentialBackoff, TokenBucket, WorkQueue } from './work-queue.js';

const limiter = { baseDelayMs: 5, maxDelayMs: 15 * 60_000, qps: 10, burst: 100 };

async function drain(q: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.length() > 0) {
    const k = await q.get();
    if (k === undefined) break;
    keys.push(k);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('deduplicates keys that are queued', async () => {
    const q = new WorkQueue(new FakeClock(), limiter);
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length()).toBe(2);
    expect(await drain(q)).toEqual(['ns/a', 'ns/b']);
  });

  it('never hands an in-flight key to a second worker and requeues it once done', async () => {
    const q = new WorkQueue(new FakeClock(), limiter);
    q.add('ns/a');
    const first = await q.get();
    expect(first).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.length()).toBe(0);
    q.done('ns/a');
    expect(q.length()).toBe(1);
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    expect(q.length()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue(new FakeClock(), limiter);
    const pending = q.get();
    q.add('ns/x');
    expect(await pending).toBe('ns/x');
    expect(q.inFlight()).toBe(1);
  });

  it('delays addAfter until the clock passes the deadline, keeping the earliest deadline', () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, limiter);
    q.addAfter('ns/a', 1000);
    q.addAfter('ns/a', 5000);
    clock.advance(999);
    expect(q.length()).toBe(0);
    clock.advance(1);
    expect(q.length()).toBe(1);
    clock.advance(10_000);
    expect(q.length()).toBe(1);
  });

  it('replaces a later deadline with an earlier one', () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, limiter);
    q.addAfter('ns/a', 5000);
    q.addAfter('ns/a', 100);
    clock.advance(100);
    expect(q.length()).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('backs off a failing key exponentially and forgets on success', () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, limiter);
    const delays = [1, 2, 3, 4].map(() => q.addRateLimited('ns/a'));
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.retries('ns/a')).toBe(4);
    q.forget('ns/a');
    expect(q.retries('ns/a')).toBe(0);
    expect(q.addRateLimited('ns/a')).toBe(5);
  });

  it('returns undefined to workers after shutdown and ignores new keys', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, limiter);
    const waiting = q.get();
    q.addAfter('ns/late', 10);
    q.shutdown();
    expect(await waiting).toBeUndefined();
    q.add('ns/b');
    clock.advance(100);
    expect(q.length()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });
});

describe('ExponentialBackoff', () => {
  it.each([
    [0, 5],
    [1, 10],
    [10, 5120],
    [17, 655_360],
    [18, 900_000],
    [2000, 900_000],
  ])('after %i failures waits %i ms', (failures, expected) => {
    const b = new ExponentialBackoff(5, 900_000);
    for (let i = 0; i < failures; i++) b.when('k');
    expect(b.when('k')).toBe(expected);
  });

  it('tracks keys independently', () => {
    const b = new ExponentialBackoff(5, 900_000);
    b.when('a');
    b.when('a');
    expect(b.when('b')).toBe(5);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then spaces reservations at 1/qps', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(100);
    expect(bucket.reserve()).toBe(200);
  });

  it('refills over time up to the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(10_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });

  it('makes the global limit win over a short per-key backoff in the queue', () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, { baseDelayMs: 5, maxDelayMs: 1000, qps: 1, burst: 1 });
    expect(q.addRateLimited('a')).toBe(5);
    expect(q.addRateLimited('b')).toBe(1000);
  });
});
