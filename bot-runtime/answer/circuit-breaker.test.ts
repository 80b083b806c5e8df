import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker } from './circuit-breaker.js';

function breaker(): { b: CircuitBreaker; clock: { t: number } } {
  const clock = { t: 0 };
  return { b: new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: () => clock.t }), clock };
}

/** A breaker opened at t=0 by its threshold of 3 failures, with the clock at `t`. */
function openedAt(t: number): { b: CircuitBreaker; clock: { t: number } } {
  const { b, clock } = breaker();
  for (let i = 0; i < 3; i++) b.failure();
  clock.t = t;
  return { b, clock };
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold, and a success resets the count', () => {
    const { b } = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and rejects until the cooldown passes', () => {
    const { b, clock } = openedAt(0);
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    clock.t = 999;
    expect(b.tryAcquire()).toBe(false);
    clock.t = 1000;
    expect(b.state).toBe('half-open');
  });

  it('lets exactly one probe through when half-open; success closes it', () => {
    const { b } = openedAt(1500);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('reopens for a full cooldown when the probe fails', () => {
    const { b, clock } = openedAt(1000);
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    clock.t = 1999;
    expect(b.tryAcquire()).toBe(false);
    clock.t = 2000;
    expect(b.tryAcquire()).toBe(true);
  });

  it.each([
    ['only neutral calls', 'nnnnnnnnnn', 'closed'],
    ['neutral calls between failures do not reset the count', 'fnfnf', 'open'],
    ['a success still resets it', 'ffsff', 'closed'],
  ])('%s: %s leaves it %s', (_name, calls, expected) => {
    const { b } = breaker();
    for (const c of calls) {
      expect(b.tryAcquire()).toBe(true);
      if (c === 'f') b.failure();
      else if (c === 's') b.success();
      else b.neutral();
    }
    expect(b.state).toBe(expected);
  });

  it('a neutral probe hands the slot back: still half-open, the next call probes', () => {
    const { b } = openedAt(1000);
    expect(b.tryAcquire()).toBe(true);
    b.neutral();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });
});
