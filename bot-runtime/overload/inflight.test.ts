import { describe, expect, it } from '@jest/globals';
import { InflightLimiter } from './inflight.js';

describe('InflightLimiter', () => {
  it('admits up to the limit and sheds beyond it', () => {
    const l = new InflightLimiter(2);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    expect(l.inflight).toBe(2);
  });

  it('admits again once a slot is released, and never goes negative', () => {
    const l = new InflightLimiter(1);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    l.release();
    expect(l.tryAcquire()).toBe(true);
    l.release();
    l.release();
    expect(l.inflight).toBe(0);
  });
});
