import { describe, expect, it } from '@jest/globals';
import { stableRevisionOf } from './decide.js';
import { Driver, spec, V1, V2, erroring, started } from './harness.test-support.js';
import { parseAction } from './revision.js';
import type { RolloutState } from './types.js';

describe('decide: manual and declarative controls', () => {
  it('handles each action once, recording it', () => {
    const d = started();
    d.tick(5, { action: parseAction('pause@a') });
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'ManualPause', lastHandledAction: 'pause@a' });
    d.run(300);
    expect(d.state).toMatchObject({ phase: 'Paused', canaryWeight: 10 });
    d.tick(5, { action: parseAction('resume@b') });
    expect(d.state?.phase).toBe('Progressing');
    d.tick(5, { action: parseAction('pause@a') }); // an old annotation again: ignored, nonce differs from last
    expect(d.state).toMatchObject({ phase: 'Paused', lastHandledAction: 'pause@a' });
    d.tick(5);
    expect(d.state?.phase).toBe('Paused'); // re-applying the same value is harmless
    d.tick(5, { action: parseAction('promote@c') });
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 25 });
    d.tick(5, { action: parseAction('promote-full@d') });
    expect(d.state?.phase).toBe('Promoting');
    d.tick(5, { action: parseAction('abort@e') });
    expect(d.state).toMatchObject({ phase: 'Aborted', reason: 'ManualAbort' });
    expect(d.decision.stableRevision.version).toBe('1.0');
    d.tick(5, { action: parseAction('retry@f') });
    expect(d.state).toMatchObject({
      phase: 'Progressing',
      canaryVersion: '2.0',
      failedChecks: 0,
      canaryWeight: 0,
    });
    d.tick(5, { action: parseAction('retry@g') });
    expect(d.state).toMatchObject({ phase: 'Progressing', lastHandledAction: 'retry@g' }); // not applicable: recorded, no effect
  });

  it('pauses while spec.rollout.paused is true', () => {
    const d = started();
    d.spec = spec({ paused: true });
    d.run(300);
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'SpecPaused', canaryWeight: 10 });
    d.spec = spec();
    d.run(30); // the pause's 60 s ran on while paused, and checks kept passing
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 25 });
  });

  it('resumes from status alone: a JSON round trip decides the same', () => {
    const a = started(erroring);
    a.run(40);
    const b = new Driver(a.spec, V1, erroring);
    b.state = JSON.parse(JSON.stringify(a.state)) as RolloutState;
    b.time = a.time;
    b.observed = a.observed;
    b.decision = a.decision;
    expect(b.run(60)).toEqual(a.run(60));
  });
});

describe('parseAction', () => {
  it.each([
    ['pause@abc', { verb: 'pause', nonce: 'abc', raw: 'pause@abc' }],
    [
      'promote-full@2026-01-01T10.00',
      { verb: 'promote-full', nonce: '2026-01-01T10.00', raw: 'promote-full@2026-01-01T10.00' },
    ],
    ['abort', { verb: 'abort', nonce: '', raw: 'abort' }],
    ['explode@1', undefined],
    ['pause@', undefined],
    ['pause@a b', undefined],
    [`retry@${'x'.repeat(100)}`, undefined],
    [undefined, undefined],
  ])('%j', (value, expected) => {
    expect(parseAction(value)).toEqual(expected);
  });
});

describe('stableRevisionOf', () => {
  it('is the promoted canary while Promoting, and the stable revision otherwise', () => {
    const d = new Driver(spec({ strategy: 'Immediate' }), V1);
    expect(stableRevisionOf(d.state!).version).toBe('1.0');
    d.tick(5, { target: V2 });
    expect(d.state).toMatchObject({ phase: 'Promoting', stableVersion: '1.0' });
    expect(stableRevisionOf(d.state!).version).toBe('2.0');
    expect(d.decision.stableRevision).toEqual(stableRevisionOf(d.state!));
  });
});
