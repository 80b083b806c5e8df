import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FakeClock } from '../controller/clock.js';
import { WorkQueue } from '../controller/work-queue.js';
import { Liveness } from './liveness.js';
import { startHealthServer, type HealthServer } from './server.js';

const BOUNDS = { maxReconcileMs: 60_000, maxLoopLagMs: 5_000, tickMs: 1_000, stallMemoryMs: 30_000 };

function setup(): { clock: FakeClock; queue: WorkQueue; liveness: Liveness } {
  const clock = new FakeClock(1_000_000);
  const queue = new WorkQueue(clock);
  const liveness = new Liveness([queue], { ...BOUNDS, now: () => clock.now() });
  return { clock, queue, liveness };
}

describe('Liveness: the worker pool', () => {
  it.each([
    { name: 'idle queue', runMs: undefined, ok: true },
    { name: 'reconcile within the bound', runMs: 59_000, ok: true },
    { name: 'reconcile past the bound', runMs: 61_000, ok: false },
  ])('$name -> ok=$ok', async ({ runMs, ok }) => {
    const { clock, queue, liveness } = setup();
    if (runMs !== undefined) {
      queue.add('shop/helpdesk');
      await queue.get();
      clock.advance(runMs);
    }
    expect(liveness.check().ok).toBe(ok);
  });

  it('names the stuck key, and recovers when the reconcile ends', async () => {
    const { clock, queue, liveness } = setup();
    queue.add('shop/fast');
    queue.add('shop/stuck');
    const first = await queue.get();
    clock.advance(1_000);
    const second = await queue.get();
    queue.done(first as string);
    clock.advance(61_000);
    expect(second).toBe('shop/stuck');
    expect(liveness.check()).toEqual({
      ok: false,
      reason: 'reconcile of shop/stuck running for 61.0s (bound 60.0s)',
    });
    queue.done('shop/stuck');
    expect(liveness.check()).toEqual({ ok: true, reason: 'ok' });
  });

  it('a key handed straight to a waiting worker is tracked too', async () => {
    const { clock, queue, liveness } = setup();
    const waiting = queue.get();
    queue.add('shop/direct');
    expect(await waiting).toBe('shop/direct');
    clock.advance(70_000);
    expect(liveness.check().ok).toBe(false);
  });
});

describe('Liveness: the event loop', () => {
  it.each([
    { name: 'heartbeat on time', gaps: [1_000, 1_000, 1_000], after: 0, ok: true },
    { name: 'late but within the lag bound', gaps: [1_000, 5_900], after: 0, ok: true },
    { name: 'a stall beyond the bound', gaps: [1_000, 7_000], after: 0, ok: false },
    { name: 'the stall is remembered for a while', gaps: [7_000, 1_000, 1_000], after: 20_000, ok: false },
    { name: 'and then forgotten', gaps: [7_000], after: 31_000, ok: true },
  ])('$name -> ok=$ok', ({ gaps, after, ok }) => {
    let now = 0;
    const liveness = new Liveness([], { ...BOUNDS, now: () => now });
    for (const gap of gaps) {
      now += gap;
      liveness.tick();
    }
    for (let t = 0; t < after; t += 1_000) {
      now += 1_000;
      liveness.tick();
    }
    expect(liveness.check().ok).toBe(ok);
  });
});

describe('/healthz with a real blocked event loop', () => {
  let server: HealthServer | undefined;
  let liveness: Liveness | undefined;
  afterEach(async () => {
    liveness?.stop();
    await server?.close();
  });

  it('answers 200, then 500 with the reason after the loop was blocked', async () => {
    liveness = new Liveness([], { maxReconcileMs: 60_000, maxLoopLagMs: 150, tickMs: 20 });
    liveness.start();
    const checks = { live: () => (liveness as Liveness).check(), ready: () => ({ ok: true, reason: 'x' }) };
    server = await startHealthServer('127.0.0.1', 0, checks, new Registry());
    const url = `http://127.0.0.1:${server.port}/healthz`;
    const healthy = await fetch(url);
    expect([healthy.status, await healthy.text()]).toEqual([200, 'ok\n']);
    const until = performance.now() + 400;
    while (performance.now() < until); // a synchronous loop, like the old parser on a poisoned line
    await new Promise((r) => setTimeout(r, 60)); // the heartbeat fires and sees the gap
    const stalled = await fetch(url);
    expect(stalled.status).toBe(500);
    const reason = /^event loop stalled for (\d+\.\d)s/.exec(await stalled.text());
    expect(Number(reason?.[1])).toBeGreaterThanOrEqual(0.3);
  });
});
