import { describe, expect, it } from '@jest/globals';
import { ClusterExecutor } from './cluster-execute.js';
import { emptyLog } from './cluster-result.js';
import type { PassClock } from './cluster-types.js';

/** A clock that only moves when the executor sleeps: no real time passes in these tests. */
function fakeClock(): PassClock & { sleeps: number[] } {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

function executor(clock: PassClock): ClusterExecutor {
  return new ClusterExecutor([], {
    migrate: { password: undefined, batchSize: 100, timeoutMs: 5_000 },
    migrateConcurrency: 32,
    convergeTimeoutMs: 1_000,
    pollMs: 200,
    clock,
  });
}

describe('ClusterExecutor.waitFor: every wait reads the injected clock', () => {
  it.each<[string, number | undefined, unknown, number]>([
    ['a value at once: no sleep', 0, 'ok', 0],
    ['a value on the third probe: two polls', 2, 'ok', 2],
    ['never: gives up at the converge timeout (1000 ms / 200 ms polls)', undefined, undefined, 5],
  ])('%s', async (_what, readyAfter, expected, sleeps) => {
    const clock = fakeClock();
    let probes = 0;
    const value = await executor(clock).waitFor(() => {
      const answer = readyAfter !== undefined && probes >= readyAfter ? 'ok' : undefined;
      probes++;
      return Promise.resolve(answer);
    });
    expect(value).toBe(expected);
    expect(clock.sleeps).toEqual(Array<number>(sleeps).fill(200));
  });
});

describe('ClusterExecutor.apply', () => {
  it('a reported problem is logged in order, and is not an action', async () => {
    const log = emptyLog();
    await executor(fakeClock()).apply(
      [
        { kind: 'report', problem: 'first' },
        { kind: 'report', problem: 'second' },
      ],
      log,
    );
    expect(log).toEqual({ actions: [], problems: ['first', 'second'], events: [], remainingMoves: 0 });
  });

  it('an action on a node id no connected pod has ends the pass', async () => {
    const apply = executor(fakeClock()).apply(
      [{ kind: 'forceFailover', replica: 'x', replicaLabel: 's0-1', deadId: 'd', shard: 0 }],
      emptyLog(),
    );
    await expect(apply).rejects.toThrow('no connected node has id x');
  });
});
