// Lag-based scaling 0 -> N -> 0 on the real broker, capped at the partitions (issue 18): every
// observation is a real lag read of a real group; only the clock is injected, so the walk takes
// seconds, not the cooldown's minutes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decideWorkerReplicas } from '../../scaling/decide.js';
import type { WorkerScalingDecision, WorkerScalingPolicy, WorkerScalingState } from '../../scaling/types.js';
import { readWorkerLag } from '../reader.js';
import {
  brokers,
  cleanUp,
  consumeAndCommit,
  createTopic,
  fleet,
  groupOf,
  lagEnv,
  produce,
  tasksTopic,
} from './lag-support.js';
import type { LagEnv } from './lag-support.js';

const PARTITIONS = 3;
const policy: WorkerScalingPolicy = {
  minReplicas: 0,
  maxReplicas: 10,
  targetLagPerReplica: 5,
  activationLag: 0,
  cooldownSeconds: 120,
  stabilizationSeconds: 30,
};

describe('worker scaling walk on the real broker', () => {
  let env: LagEnv;
  const cbd = fleet('walk');
  const topic = tasksTopic('walk');
  const t0 = Date.parse('2026-12-02T01:00:00Z');
  let replicas = 0;
  let state: WorkerScalingState = {};
  const walk: string[] = [];

  /** One reconcile: a real lag read, a decision at t0 + seconds, its count applied. */
  async function tick(seconds: number): Promise<WorkerScalingDecision> {
    const observation = await readWorkerLag(env.pool, { brokers }, cbd, topic);
    const d = decideWorkerReplicas(policy, replicas, observation, state, t0 + seconds * 1000);
    walk.push(`${seconds}s lag=${d.lag ?? '?'} ${replicas}->${d.desiredReplicas} ${d.reason}`);
    replicas = d.desiredReplicas;
    state = d.state;
    return d;
  }

  beforeAll(async () => {
    env = await lagEnv();
    await createTopic(env, topic, PARTITIONS);
  });
  afterAll(async () => {
    console.log(`scaling walk: ${walk.join(' | ')}`);
    await cleanUp(env);
  });

  it('0 -> partitions -> 0', async () => {
    // An empty tasks topic: nothing runs.
    expect(await tick(0)).toMatchObject({ desiredReplicas: 0, reason: 'AtMinReplicas', lag: 0 });

    // 60 tasks want 12 workers; 3 partitions cap it, and the first lag starts them at once.
    await produce(env, topic, PARTITIONS, 20);
    expect(await tick(10)).toMatchObject({ desiredReplicas: PARTITIONS, reason: 'ScaledFromZero', lag: 60 });
    expect(await tick(50)).toMatchObject({ desiredReplicas: PARTITIONS, reason: 'CappedAtPartitions' });

    // The workers (a real consumer in the worker group) drain the topic: lag 0, the cooldown starts.
    await consumeAndCommit(env, groupOf('walk'), topic, { expect: 60 });
    const drained = await tick(60);
    expect(drained).toMatchObject({ desiredReplicas: 1, lag: 0 });
    expect(await tick(80)).toMatchObject({ desiredReplicas: 1 });
    // 120 s after the last lag was seen (at 50 s), with the last step at 60 s long past.
    expect(await tick(169)).toMatchObject({ desiredReplicas: 1 });
    expect(await tick(170)).toMatchObject({ desiredReplicas: 0, reason: 'CooledDownToZero', lag: 0 });

    // And the next task starts a worker again at once.
    await produce(env, topic, 1, 1);
    expect(await tick(175)).toMatchObject({ desiredReplicas: 1, reason: 'ScaledFromZero', lag: 1 });
  });
});
