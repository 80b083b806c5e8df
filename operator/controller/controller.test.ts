import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { FakeClock } from './clock.js';
import { Controller, TerminalError, splitKey } from './controller.js';
import type { ReconcileRequest, ReconcileResult } from './controller.js';
import { WorkQueue } from './work-queue.js';
import { createOperatorMetrics } from '../metrics.js';

const log = pino({ level: 'silent' });
const limiter = { baseDelayMs: 5, maxDelayMs: 1000, qps: 100, burst: 100 };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(reconcile: (req: ReconcileRequest) => Promise<ReconcileResult>, concurrency = 4) {
  const clock = new FakeClock();
  const queue = new WorkQueue(clock, limiter);
  const registry = new Registry();
  const metrics = createOperatorMetrics(registry, false);
  const controller = new Controller({ name: 'test', queue, reconcile, concurrency, log, metrics });
  return { clock, queue, registry, controller };
}

async function counter(registry: Registry, result: string): Promise<number> {
  const m = await registry.getSingleMetric('chatfleet_operator_reconcile_total')!.get();
  return m.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('Controller', () => {
  it('never runs two reconciles of one key at once, but runs different keys in parallel', async () => {
    const running = new Map<string, number>();
    let maxSameKey = 0;
    let maxParallel = 0;
    const gates: (() => void)[] = [];
    const { queue, controller } = setup(async (req) => {
      const k = `${req.namespace}/${req.name}`;
      running.set(k, (running.get(k) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, running.get(k)!);
      maxParallel = Math.max(
        maxParallel,
        [...running.values()].reduce((a, b) => a + b, 0),
      );
      const d = deferred();
      gates.push(d.resolve);
      await d.promise;
      running.set(k, running.get(k)! - 1);
      return {};
    });
    controller.start();
    queue.add('ns/a');
    queue.add('ns/b');
    await tick();
    queue.add('ns/a'); // while ns/a is in flight
    await tick();
    expect(maxParallel).toBe(2);
    gates.splice(0).forEach((g) => g());
    await tick();
    await tick();
    // ns/a ran again after finishing, not concurrently
    expect(gates).toHaveLength(1);
    gates.splice(0).forEach((g) => g());
    await tick();
    expect(maxSameKey).toBe(1);
    await controller.stop();
  });

  it('splits keys and passes them to the reconciler', async () => {
    const seen: string[] = [];
    const { queue, controller } = setup(async (req) => {
      seen.push(`${req.namespace}|${req.name}`);
      return {};
    });
    controller.start();
    queue.add('team-a/support');
    await tick();
    expect(seen).toEqual(['team-a|support']);
    expect(splitKey('x')).toEqual({ namespace: '', name: 'x' });
    await controller.stop();
  });

  it('retries failures with growing backoff and forgets on success', async () => {
    let calls = 0;
    const { clock, queue, registry, controller } = setup(async () => {
      calls++;
      if (calls <= 3) throw new Error('api down');
      return {};
    });
    controller.start();
    queue.add('ns/a');
    await tick();
    expect(calls).toBe(1);
    clock.advance(4);
    await tick();
    expect(calls).toBe(1);
    clock.advance(1); // 5 ms
    await tick();
    expect(calls).toBe(2);
    clock.advance(10);
    await tick();
    expect(calls).toBe(3);
    clock.advance(20);
    await tick();
    expect(calls).toBe(4);
    expect(queue.retries('ns/a')).toBe(0);
    expect(await counter(registry, 'error')).toBe(3);
    expect(await counter(registry, 'success')).toBe(1);
    await controller.stop();
  });

  it('requeues after the requested delay', async () => {
    let calls = 0;
    const { clock, queue, registry, controller } = setup(async () => {
      calls++;
      return { requeueAfterMs: 30_000 };
    });
    controller.start();
    queue.add('ns/a');
    await tick();
    clock.advance(29_999);
    await tick();
    expect(calls).toBe(1);
    clock.advance(1);
    await tick();
    expect(calls).toBe(2);
    expect(await counter(registry, 'requeue')).toBe(2);
    await controller.stop();
  });

  it('does not retry a terminal error', async () => {
    let calls = 0;
    const { clock, queue, registry, controller } = setup(async () => {
      calls++;
      throw new TerminalError('spec invalid');
    });
    controller.start();
    queue.add('ns/a');
    await tick();
    clock.advance(60_000);
    await tick();
    expect(calls).toBe(1);
    expect(await counter(registry, 'terminal_error')).toBe(1);
    await controller.stop();
  });

  it('stop waits for in-flight reconciles', async () => {
    const d = deferred();
    let finished = false;
    const { queue, controller } = setup(async () => {
      await d.promise;
      finished = true;
      return {};
    });
    controller.start();
    queue.add('ns/a');
    await tick();
    const stopping = controller.stop();
    d.resolve();
    await stopping;
    expect(finished).toBe(true);
  });
});
