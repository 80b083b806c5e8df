import { describe, expect, it } from '@jest/globals';
import { decide } from './decide.js';
import { Driver, spec, target, V1, V2, lowTraffic, started } from './harness.test-support.js';

describe('decide: starting', () => {
  it('adopts the first version as stable, without a canary', () => {
    const d = new Driver(spec(), V1);
    expect(d.decision).toMatchObject({
      state: { phase: 'Idle', stableVersion: '1.0', canaryWeight: 0, routingGeneration: 1 },
      routing: { generation: 1, stableVersion: '1.0', canaryVersion: null, canaryWeight: 0, aborted: false },
      canaryReplicasShare: 0,
      events: [],
    });
    expect(d.decision.canaryRevision).toBeUndefined();
  });

  it('returns an equal state in a steady state (no spurious status writes)', () => {
    const d = new Driver(spec(), V1);
    const before = d.state;
    expect(d.tick(30).state).toEqual(before);
    const rolling = started(lowTraffic);
    rolling.run(60);
    const s = rolling.state;
    const again = decide(
      rolling.spec,
      s,
      {
        target: V2,
        fleetReady: true,
        canaryReady: true,
        stableUpdated: false,
        minRoutingGeneration: s!.routingGeneration,
      },
      new Date(rolling.time),
    );
    expect(again.state).toEqual(s);
  });

  it('starts a canary when a Ready fleet gets a new target', () => {
    const d = started();
    expect(d.decision).toMatchObject({
      state: {
        phase: 'Progressing',
        stableVersion: '1.0',
        canaryVersion: '2.0',
        currentStepIndex: 1,
        canaryWeight: 10,
      },
      routing: { stableVersion: '1.0', canaryVersion: '2.0', canaryWeight: 10, aborted: false },
      canaryReplicasShare: 0.1,
      stableRevision: { version: '1.0', image: 'bot:1' },
      canaryRevision: { version: '2.0', id: V2.id },
    });
    expect(d.reasons()).toEqual(['RolloutStarted', 'WeightChanged']);
  });

  it('holds weight 0 until the canary is Ready, sized for its first step', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: V2, canaryReady: false });
    d.run(60);
    expect(d.decision).toMatchObject({
      state: { reason: 'WaitingForCanary', canaryWeight: 0 },
      canaryReplicasShare: 0.1,
    });
    d.tick(5, { canaryReady: true });
    expect(d.state).toMatchObject({ canaryWeight: 10, reason: 'WaitingForRouting' });
  });

  it.each([
    ['strategy Immediate', { strategy: 'Immediate' as const }, true],
    ['a fleet that is not Ready', {}, false],
  ])('updates in place for %s', (_name, patch, ready) => {
    const d = new Driver(spec(patch), V1);
    d.tick(5, { target: V2, fleetReady: ready });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoting' },
      stableRevision: { version: '2.0' },
      canaryReplicasShare: 0,
    });
    expect(d.decision.canaryRevision).toBeUndefined();
    d.tick(5, { stableUpdated: true });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoted', stableVersion: '2.0' },
      routing: { stableVersion: '2.0', canaryVersion: null },
    });
    expect(d.reasons()).toEqual(['RolloutStarted', 'Promoted']);
  });

  it('gives an image-only change a distinct version', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: target('1.0', 'bot:2') });
    expect(d.state?.canaryVersion).toMatch(/^1\.0-r[0-9a-f]{6}$/);
    expect(d.decision.routing.canaryVersion).toBe(d.state?.canaryVersion);
  });
});
