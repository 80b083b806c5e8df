import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../types.js';
import { changedConfigKeys, planTopics } from './plan.js';
import type { ObservedTopic } from './plan.js';
import { retryDelayMs, topicsCondition, topicStatuses, unavailableRetryDelayMs } from './status.js';
import type { TopicOutcome } from './status.js';
import type { DesiredTopic } from './topics.js';

const topic = (over: Partial<DesiredTopic> = {}): DesiredTopic => ({
  name: 't',
  partitions: 6,
  replicationFactor: 1,
  config: {},
  purpose: 'tasks',
  adopt: false,
  ...over,
});
const seen = (over: Partial<ObservedTopic> = {}): ObservedTopic => ({
  name: 't',
  partitions: 6,
  replicationFactor: 1,
  config: {},
  ...over,
});
const observed = (...topics: ObservedTopic[]) => new Map(topics.map((t) => [t.name, t]));

describe('planTopics', () => {
  const table: [string, DesiredTopic, ObservedTopic | undefined, string[], string[]][] = [
    ['missing -> create', topic(), undefined, ['create'], []],
    ['in sync -> nothing', topic(), seen(), [], []],
    ['more partitions -> increase', topic({ partitions: 12 }), seen(), ['increasePartitions'], []],
    ['fewer partitions -> NotSupported, no action', topic({ partitions: 3 }), seen(), [], ['NotSupported']],
    ['RF change -> NotSupported', topic({ replicationFactor: 3 }), seen(), [], ['NotSupported']],
    [
      'RF unspecified -> never compared',
      topic({ replicationFactor: undefined }),
      seen({ replicationFactor: 3 }),
      [],
      [],
    ],
    [
      'config value differs -> alter',
      topic({ config: { 'retention.ms': '1000' } }),
      seen(),
      ['alterConfig'],
      [],
    ],
    [
      'foreign override -> alter (revert drift)',
      topic(),
      seen({ config: { 'cleanup.policy': 'compact' } }),
      ['alterConfig'],
      [],
    ],
    [
      'decrease + config change: config still applied',
      topic({ partitions: 1, config: { 'retention.ms': '5' } }),
      seen(),
      ['alterConfig'],
      ['NotSupported'],
    ],
  ];
  it.each(table)('%s', (_name, desired, current, actions, drift) => {
    const plan = planTopics([desired], observed(...(current ? [current] : [])));
    expect(plan.actions.map((a) => a.kind)).toEqual(actions);
    expect(plan.drift.map((d) => d.reason)).toEqual(drift);
  });

  it('increase carries from/to and create carries everything', () => {
    expect(planTopics([topic({ partitions: 9 })], observed(seen())).actions).toEqual([
      { kind: 'increasePartitions', topic: 't', from: 6, to: 9 },
    ]);
    expect(planTopics([topic({ config: { a: 'b' } })], new Map()).actions).toEqual([
      { kind: 'create', topic: 't', partitions: 6, replicationFactor: 1, config: { a: 'b' } },
    ]);
  });

  it('changedConfigKeys lists differing, missing and extra keys', () => {
    expect(changedConfigKeys({ a: '1', b: '2', c: '3' }, { a: '1', b: '9', d: '4' })).toEqual([
      'b',
      'c',
      'd',
    ]);
  });
});

describe('topicsCondition', () => {
  const outcome = (over: Partial<TopicOutcome>): TopicOutcome => ({
    desired: [topic()],
    observed: observed(seen()),
    drift: [],
    failures: new Map(),
    ...over,
  });
  const table: [string, Partial<TopicOutcome>, number, string, string][] = [
    ['all good', {}, 6, 'True', 'Ready'],
    ['tasks partitions below maxReplicas', {}, 10, 'True', 'PartitionsBelowMaxReplicas'],
    [
      'events topic below maxReplicas is fine',
      { desired: [topic({ purpose: 'events' })] },
      10,
      'True',
      'Ready',
    ],
    ['drift', { drift: [{ topic: 't', reason: 'NotSupported', message: 'm' }] }, 6, 'False', 'NotSupported'],
    ['broker refused an action', { failures: new Map([['t', 'boom']]) }, 6, 'False', 'KafkaError'],
    ['topic missing after apply', { observed: new Map() }, 6, 'False', 'KafkaError'],
    ['an existing topic not owned', { notOwned: new Map([['t', 'not ours']]) }, 6, 'False', 'TopicNotOwned'],
    ['a topic another CR owns', { conflicts: new Map([['t', 'owned by b/x']]) }, 6, 'False', 'TopicConflict'],
    [
      'a conflict outranks not-owned and drift',
      {
        desired: [topic(), topic({ name: 'u' })],
        observed: observed(seen(), seen({ name: 'u' })),
        conflicts: new Map([['t', 'owned by b/x']]),
        notOwned: new Map([['u', 'not ours']]),
        drift: [{ topic: 't', reason: 'NotSupported', message: 'm' }],
      },
      6,
      'False',
      'TopicConflict',
    ],
    [
      'a broker refusal outranks ownership',
      { failures: new Map([['t', 'boom']]), notOwned: new Map([['t', 'not ours']]) },
      6,
      'False',
      'KafkaError',
    ],
  ];
  it.each(table)('%s', (_name, over, max, status, reason) => {
    const c = topicsCondition(outcome(over), max);
    expect([c.status, c.reason]).toEqual([status, reason]);
  });

  it('the idle-consumer warning names the bound it compares with', () => {
    const o = outcome({ desired: [topic({ partitions: 3 })], observed: observed(seen({ partitions: 3 })) });
    const c = topicsCondition(o, 10, 'spec.workers.maxReplicas');
    expect([c.status, c.reason]).toEqual(['True', 'PartitionsBelowMaxReplicas']);
    expect(c.message).toContain('fewer partitions than spec.workers.maxReplicas=10');
  });

  it('ownership messages name every topic that is not ready, and the status entry says why', () => {
    const o = outcome({
      desired: [topic(), topic({ name: 'u' })],
      observed: observed(seen(), seen({ name: 'u', partitions: 2 })),
      conflicts: new Map([['t', 'topic t is owned by ChatbotDeployment b/x: left untouched']]),
      notOwned: new Map([['u', 'topic u already exists and was not created by this ChatbotDeployment']]),
    });
    const c = topicsCondition(o, 6);
    expect(c.message).toContain('t: topic t is owned by ChatbotDeployment b/x');
    expect(c.message).toContain('u: topic u already exists');
    expect(topicStatuses(o)).toEqual([
      {
        name: 't',
        partitions: 6,
        ready: false,
        message: 'topic t is owned by ChatbotDeployment b/x: left untouched',
      },
      {
        name: 'u',
        partitions: 2,
        ready: false,
        message: 'topic u already exists and was not created by this ChatbotDeployment',
      },
    ]);
  });

  it('NotSupported still mentions the idle-consumer warning', () => {
    const c = topicsCondition(outcome({ drift: [{ topic: 't', reason: 'NotSupported', message: 'm' }] }), 10);
    expect(c.message).toContain('idle');
  });
});

describe('retry delays (injected clock)', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const unavailableSince = (iso: string): Condition => ({
    type: 'TopicsReady',
    status: 'False',
    reason: 'KafkaUnavailable',
    message: '',
    lastTransitionTime: iso,
  });
  it.each([
    ['first failure', undefined, 5_000],
    ['failing for 2 s -> min 5 s', unavailableSince('2026-01-01T00:09:58Z'), 5_000],
    ['failing for 40 s -> 40 s', unavailableSince('2026-01-01T00:09:20Z'), 40_000],
    ['failing for 90 s -> capped at 60 s', unavailableSince('2026-01-01T00:08:30Z'), 60_000],
    ['failing for 10 min -> capped at 60 s', unavailableSince('2026-01-01T00:00:00Z'), 60_000],
  ] as const)('%s', (_n, prev, expected) => {
    expect(unavailableRetryDelayMs(prev, now)).toBe(expected);
  });
  it('ready resyncs every 5 minutes, broker errors every 30 s', () => {
    const ready: Condition = { type: 'TopicsReady', status: 'True', reason: 'Ready', message: '' };
    expect(retryDelayMs(ready, undefined, now)).toBe(300_000);
    expect(retryDelayMs({ ...ready, reason: 'KafkaError' }, undefined, now)).toBe(30_000);
  });
});
