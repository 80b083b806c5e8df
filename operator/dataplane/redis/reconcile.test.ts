import { describe, expect, it } from '@jest/globals';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import { missingPods, needsRebalance, shardStatuses } from './cluster.js';
import type { NodeView } from './cluster-node.js';
import { parseClusterNodes } from './cluster-nodes.js';
import {
  clusterMembers,
  clusterPodsFromPods,
  controlledStatefulSets,
  redisReadyCondition,
} from './reconcile.js';

const cbd = (redis: RedisSpecInput): ChatbotDeployment =>
  testCbd({ metadata: { name: 'a', namespace: 'n' }, redis });

describe('clusterPodsFromPods', () => {
  const pod = (name: string, shard: string, ip: string | undefined, extra: object = {}) => ({
    metadata: { name, labels: { 'chatfleet.io/redis-shard': shard }, ...extra },
    status: { podIP: ip, phase: 'Running' },
  });
  it('maps running pods with an IP to (shard, ordinal, ip:6379)', () => {
    expect(
      clusterPodsFromPods([
        pod('a-redis-shard-1-0', '1', '10.0.0.5'),
        pod('a-redis-shard-1-1', '1', undefined),
        pod('a-redis-shard-2-0', '2', '10.0.0.6', { deletionTimestamp: '2026-01-01T00:00:00Z' }),
        { metadata: { name: 'x-0', labels: {} }, status: { podIP: '1.1.1.1', phase: 'Running' } },
      ]),
    ).toEqual([{ shard: 1, ordinal: 0, host: '10.0.0.5', port: 6379, name: 'a-redis-shard-1-0' }]);
  });
});

describe('membership: only pods of the CR-controlled StatefulSets', () => {
  const ref = (kind: string, uid: string) => ({ kind, uid, controller: true });
  const sets = [
    { metadata: { uid: 'sts-0', ownerReferences: [ref('ChatbotDeployment', 'cr')] } },
    { metadata: { uid: 'sts-evil' } },
    { metadata: { uid: 'sts-other', ownerReferences: [ref('ChatbotDeployment', 'other-cr')] } },
  ];
  const pod = (owner?: object) => ({
    metadata: {
      name: 'a-redis-shard-0-0',
      labels: { 'chatfleet.io/redis-shard': '0' },
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    status: { podIP: '10.0.0.5', phase: 'Running' },
  });
  it('controlledStatefulSets keeps the uids the CR controls', () => {
    expect([...controlledStatefulSets('cr', sets)]).toEqual(['sts-0']);
    expect([...controlledStatefulSets(undefined, sets)]).toEqual([]);
  });
  it.each([
    { name: 'pod of the CR StatefulSet', owner: ref('StatefulSet', 'sts-0'), members: 1 },
    { name: 'copied labels, no owner', owner: undefined, members: 0 },
    { name: 'forged StatefulSet uid', owner: ref('StatefulSet', 'forged'), members: 0 },
    { name: "an attacker's own StatefulSet", owner: ref('StatefulSet', 'sts-evil'), members: 0 },
    { name: 'another CR', owner: ref('StatefulSet', 'sts-other'), members: 0 },
    { name: 'right uid, wrong kind', owner: ref('ReplicaSet', 'sts-0'), members: 0 },
  ])('$name -> $members member(s)', ({ owner, members }) => {
    expect(clusterPodsFromPods([pod(owner)], controlledStatefulSets('cr', sets))).toHaveLength(members);
  });
});

describe('missingPods', () => {
  it('lists every expected (shard, ordinal) not present', () => {
    const pods = [{ shard: 0, ordinal: 0, host: 'h', port: 1 }];
    expect(missingPods({ shards: 2, replicasPerShard: 0 }, pods)).toEqual(['shard 1 pod 0']);
    expect(missingPods({ shards: 1, replicasPerShard: 1 }, pods)).toEqual(['shard 0 pod 1']);
  });
});

describe('needsRebalance', () => {
  const slots = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
  it('ignores imbalance under 2 %, acts on a new empty primary', () => {
    const even = new Map([
      ['a', slots(8192)],
      ['b', slots(8192, 8192)],
    ]);
    expect(needsRebalance(even, ['a', 'b'])).toBe(false);
    const slight = new Map([
      ['a', slots(8250)],
      ['b', slots(8134, 8250)],
    ]);
    expect(needsRebalance(slight, ['a', 'b'])).toBe(false);
    expect(needsRebalance(even, ['a', 'b', 'c'])).toBe(true);
  });
  it('any slot on a primary outside the list (draining shard) needs a rebalance', () => {
    const almostDrained = new Map([
      ['a', slots(8190)],
      ['b', slots(8190, 8190)],
      ['c', slots(4, 16380)],
    ]);
    expect(needsRebalance(almostDrained, ['a', 'b'])).toBe(true);
  });
});

describe('shardStatuses', () => {
  it('derives primary, replicas, slot ranges and link state from each node', () => {
    const nodesText = (myself: string) =>
      [
        `p0 10.0.0.1:6379@16379 ${myself === 'p0' ? 'myself,' : ''}master - 0 0 1 connected 0-8191`,
        `r0 10.0.0.2:6379@16379 ${myself === 'r0' ? 'myself,' : ''}slave p0 0 0 1 connected`,
        `p1 10.0.0.3:6379@16379 ${myself === 'p1' ? 'myself,' : ''}master - 0 0 2 connected 8192-16383`,
      ].join('\n');
    const views: NodeView[] = [
      ['p0', 0, 0],
      ['r0', 0, 1],
      ['p1', 1, 0],
    ].map(([id, shard, ordinal]) => {
      const known = parseClusterNodes(nodesText(id as string));
      return {
        id: id as string,
        pod: { shard: shard as number, ordinal: ordinal as number, host: 'h', port: 1, name: `pod-${id}` },
        self: known.find((k) => k.id === id)!,
        known,
      };
    });
    expect(shardStatuses(views, 2)).toEqual([
      {
        shard: 0,
        primary: 'pod-p0',
        replicas: ['pod-r0'],
        slots: 8192,
        slotRanges: ['0-8191'],
        linkState: 'connected',
      },
      {
        shard: 1,
        primary: 'pod-p1',
        replicas: [],
        slots: 8192,
        slotRanges: ['8192-16383'],
        linkState: 'connected',
      },
    ]);
  });
});

describe('redisReadyCondition', () => {
  it.each([
    [{}, 1, 'True', 'Ready'],
    [{}, 0, 'False', 'WaitingForPods'],
    [{ mode: 'external', secretRef: { name: 's' } }, 0, 'True', 'External'],
    [{ mode: 'external' }, 0, 'False', 'ExternalSecretInvalid'],
  ] as [RedisSpecInput, number, string, string][])('%j ready=%i -> %s %s', (redis, ready, status, reason) => {
    expect(redisReadyCondition(cbd(redis), ready)).toMatchObject({ type: 'RedisReady', status, reason });
  });
  it('cluster mode is decided by the cluster reconcile', () => {
    expect(redisReadyCondition(cbd({ topology: 'cluster' }), 0)).toBeUndefined();
  });
});

describe('clusterMembers: outdated = controller-revision-hash is not the StatefulSet updateRevision', () => {
  const ref = (kind: string, uid: string) => ({ kind, uid, controller: true });
  const sts = (uid: string, updateRevision?: string) => ({
    metadata: { uid, ownerReferences: [ref('ChatbotDeployment', 'cr')] },
    status: updateRevision === undefined ? {} : { updateRevision },
  });
  const pod = (revision: string | undefined, owner = 'sts-0') => ({
    metadata: {
      name: 'a-redis-shard-0-1',
      labels: {
        'chatfleet.io/redis-shard': '0',
        ...(revision === undefined ? {} : { 'controller-revision-hash': revision }),
      },
      ownerReferences: [ref('StatefulSet', owner)],
    },
    status: { podIP: '10.0.0.5', phase: 'Running' },
  });
  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['same revision', 'rev-a', 'rev-a', false],
    ['older revision', 'rev-a', 'rev-b', true],
    ['StatefulSet without updateRevision yet', 'rev-a', undefined, false],
    ['pod without the label', undefined, 'rev-b', false],
  ])('%s -> outdated %s', (_what, podRevision, setRevision, outdated) => {
    const members = clusterMembers('cr', [pod(podRevision)], [sts('sts-0', setRevision)]);
    expect(members).toEqual([expect.objectContaining({ ordinal: 1, outdated, restarts: 0 })]);
  });
  it('only pods of the CR-controlled StatefulSets are members', () => {
    expect(clusterMembers('cr', [pod('rev-a', 'forged')], [sts('sts-0', 'rev-a')])).toEqual([]);
  });
});
