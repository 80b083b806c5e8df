import { describe, expect, it } from '@jest/globals';
import { VerifiedChildren } from './verified.js';

const PERIOD = 600_000;

function setup(): { v: VerifiedChildren; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { v: new VerifiedChildren(PERIOD, () => clock.t), clock };
}

describe('VerifiedChildren', () => {
  it.each<[string, { hash: string; afterMs: number }, boolean]>([
    ['same hash, just seen', { hash: 'h1', afterMs: 0 }, true],
    ['same hash, just under a period later', { hash: 'h1', afterMs: PERIOD - 1 }, true],
    ['same hash, a period later (verify again)', { hash: 'h1', afterMs: PERIOD }, false],
    ['another hash (the wanted object changed)', { hash: 'h2', afterMs: 0 }, false],
  ])('%s', (_case, ask, want) => {
    const { v, clock } = setup();
    v.remember('Role/ns/a-routing-reader', 'h1', 'uid-a');
    clock.t += ask.afterMs;
    expect(v.fresh('Role/ns/a-routing-reader', ask.hash)).toBe(want);
  });

  it('knows nothing of a key never remembered, or forgotten', () => {
    const { v } = setup();
    expect(v.fresh('Role/ns/a-routing-reader', 'h1')).toBe(false);
    v.remember('Role/ns/a-routing-reader', 'h1', 'uid-a');
    v.forget('Role/ns/a-routing-reader');
    expect(v.fresh('Role/ns/a-routing-reader', 'h1')).toBe(false);
    expect(v.size).toBe(0);
  });

  it('forgets exactly the entries of a deleted fleet (by uid, so bot-2 survives bot)', () => {
    const { v } = setup();
    v.remember('Role/ns/bot-routing-reader', 'h', 'uid-bot');
    v.remember('RoleBinding/ns/bot-routing-reader', 'h', 'uid-bot');
    v.remember('Role/ns/bot-2-routing-reader', 'h', 'uid-bot-2');
    v.remember('RoleBinding/ns/bot-2-routing-reader', 'h', 'uid-bot-2');
    v.forgetOwner('uid-bot');
    expect(v.size).toBe(2);
    expect(v.fresh('Role/ns/bot-routing-reader', 'h')).toBe(false);
    expect(v.fresh('Role/ns/bot-2-routing-reader', 'h')).toBe(true);
    expect(v.fresh('RoleBinding/ns/bot-2-routing-reader', 'h')).toBe(true);
    v.forgetOwner('uid-bot-2');
    expect(v.size).toBe(0);
  });

  it('stays bounded without forgetOwner: entries older than a period are swept', () => {
    const { v, clock } = setup();
    for (let i = 0; i < 1000; i++) v.remember(`Role/ns/f${i}-routing-reader`, 'h', `uid-${i}`);
    expect(v.size).toBe(1000);
    clock.t += PERIOD;
    v.remember('Role/ns/new-routing-reader', 'h', 'uid-new');
    expect(v.size).toBe(1);
    expect(v.fresh('Role/ns/new-routing-reader', 'h')).toBe(true);
  });
});
