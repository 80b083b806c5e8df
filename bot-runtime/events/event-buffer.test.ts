import { describe, expect, it } from '@jest/globals';
import { EventBuffer } from './event-buffer.js';

describe('EventBuffer', () => {
  it('is FIFO and refuses events past its bound', () => {
    const b = new EventBuffer<number>(3);
    expect([1, 2, 3, 4].map((n) => b.push(n))).toEqual([true, true, true, false]);
    expect(b.take(10)).toEqual([1, 2, 3]);
  });

  it('counts the in-flight batch against the bound', () => {
    const b = new EventBuffer<number>(3);
    [1, 2, 3].forEach((n) => b.push(n));
    b.take(2);
    expect(b.pending).toBe(3);
    expect(b.push(4)).toBe(false);
    b.ack();
    expect(b.pending).toBe(1);
    expect(b.push(4)).toBe(true);
  });

  it('puts a failed batch back in front, in order, without losing events', () => {
    const b = new EventBuffer<number>(10);
    [1, 2, 3, 4].forEach((n) => b.push(n));
    const batch = b.take(2);
    b.push(5);
    b.nack(batch);
    expect(b.take(10)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a second take while a batch is in flight', () => {
    const b = new EventBuffer<number>(10);
    b.push(1);
    b.take(1);
    expect(() => b.take(1)).toThrow();
  });

  it('drains what is queued', () => {
    const b = new EventBuffer<number>(10);
    [1, 2].forEach((n) => b.push(n));
    expect(b.drain()).toEqual([1, 2]);
    expect(b.pending).toBe(0);
  });

  it('stays correct across compaction of a long queue', () => {
    const b = new EventBuffer<number>(100_000);
    for (let i = 0; i < 20_000; i++) b.push(i);
    const seen: number[] = [];
    while (b.queued > 0) {
      seen.push(...b.take(500));
      b.ack();
    }
    expect(seen).toHaveLength(20_000);
    expect(seen.every((v, i) => v === i)).toBe(true);
  });
});

describe('EventBuffer in bytes', () => {
  const sized = (capacity: number, capacityBytes: number): EventBuffer<string> =>
    new EventBuffer<string>(capacity, capacityBytes, (s) => s.length);

  it.each([
    ['under both bounds', 10, 10, ['aaa', 'bbb', 'ccc'], [true, true, true]],
    ['the byte bound refuses what does not fit', 10, 7, ['aaa', 'bbb', 'cc', 'd'], [true, true, false, true]],
    ['an event alone over the byte bound', 10, 5, ['aaaaaa', 'b'], [false, true]],
    ['the event bound still holds', 2, 100, ['a', 'b', 'c'], [true, true, false]],
  ])('%s', (_name, capacity, capacityBytes, events, accepted) => {
    const b = sized(capacity, capacityBytes);
    expect(events.map((e) => b.push(e))).toEqual(accepted);
    expect(b.pendingBytes).toBeLessThanOrEqual(capacityBytes);
  });

  it('takes batches by bytes, at least one event, and keeps the count through nack and ack', () => {
    const b = sized(100, 100);
    ['aaaa', 'bbbb', 'cccccccccc', 'dd'].forEach((e) => b.push(e));
    expect(b.take(10, 9)).toEqual(['aaaa', 'bbbb']);
    expect(b.pendingBytes).toBe(20);
    b.ack();
    expect(b.pendingBytes).toBe(12);
    const big = b.take(10, 5); // bigger than maxBytes: travels alone
    expect(big).toEqual(['cccccccccc']);
    b.nack(big);
    expect(b.pendingBytes).toBe(12);
    expect(b.take(10, 100)).toEqual(['cccccccccc', 'dd']);
    b.ack();
    expect(b.pendingBytes).toBe(0);
    b.push('eee');
    expect(b.drain()).toEqual(['eee']);
    expect(b.pendingBytes).toBe(0);
  });
});
