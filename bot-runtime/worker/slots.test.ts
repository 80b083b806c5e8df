import { describe, expect, it } from '@jest/globals';
import { KeyedLock, Slots } from './slots.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('Slots', () => {
  it('lets at most size holders in, first come first served', async () => {
    const slots = new Slots(2);
    const order: number[] = [];
    await slots.acquire();
    await slots.acquire();
    const third = slots.acquire().then(() => order.push(3));
    const fourth = slots.acquire().then(() => order.push(4));
    await tick();
    expect(order).toEqual([]);
    expect(slots.inUse).toBe(2);
    slots.release();
    await third;
    expect(order).toEqual([3]);
    slots.release();
    await fourth;
    expect(order).toEqual([3, 4]);
    slots.release();
    slots.release();
    expect(slots.inUse).toBe(0);
  });
});

describe('KeyedLock', () => {
  it('runs work of one key one at a time, of different keys together, and survives a failure', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job =
      (name: string, fail = false) =>
      async (): Promise<string> => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a1 = lock.run('a', job('a1', true));
    const a2 = lock.run('a', job('a2'));
    const b1 = lock.run('b', job('b1'));
    await expect(a1).rejects.toThrow('a1');
    expect(await a2).toBe('a2');
    expect(await b1).toBe('b1');
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  });

  it('runs the waiters of one key in the order they called (FIFO)', async () => {
    const lock = new KeyedLock();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        lock.run('s', async () => {
          await tick();
          order.push(n);
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
