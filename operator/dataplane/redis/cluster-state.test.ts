import { describe, expect, it } from '@jest/globals';
import { cluster, EVEN3, shards } from './cluster-fixtures.js';
import type { PodNode } from './cluster-fixtures.js';
import {
  activeShardCount,
  clusterOkEverywhere,
  gossipComplete,
  podReplicas,
  syncingReplicas,
} from './cluster-state.js';

describe('gossipComplete: every node knows every pod, handshake done', () => {
  const steady = cluster(shards(EVEN3));
  const withFlag = (flag: string) =>
    steady.map((v, i) =>
      i === 0
        ? { ...v, known: v.known.map((k) => (k.id === 'p1' ? { ...k, flags: [...k.flags, flag] } : k)) }
        : v,
    );
  it.each<[string, ReturnType<typeof cluster>, boolean]>([
    ['steady cluster', steady, true],
    [
      'a blank node nobody met',
      cluster([...shards(EVEN3), { id: 'p3', shard: 3, ordinal: 0, blank: true }]),
      false,
    ],
    ['a node still in handshake', withFlag('handshake'), false],
    ['a node known only without address', withFlag('noaddr'), false],
  ])('%s', (_what, views, expected) => {
    expect(gossipComplete(views)).toBe(expected);
  });
});

describe('clusterOkEverywhere', () => {
  const info = (state: string, slotsOk: string) =>
    new Map([
      ['cluster_state', state],
      ['cluster_slots_ok', slotsOk],
    ]);
  it.each<[string, Map<string, string>[], boolean]>([
    ['ok with every slot on every node', [info('ok', '16384'), info('ok', '16384')], true],
    ['one node still fail', [info('ok', '16384'), info('fail', '16384')], false],
    ['ok but slots in pfail', [info('ok', '16380')], false],
  ])('%s', (_what, infos, expected) => {
    expect(clusterOkEverywhere(infos)).toBe(expected);
  });
});

describe('replicas and their sync', () => {
  const pods: PodNode[] = [...shards(['0-16383']), { id: 'r01', shard: 0, ordinal: 2, of: 'dead' }];
  const views = cluster(pods);
  it('the replicas of a pod are checked; one of a node that is not a pod is not', () => {
    expect(podReplicas(views).map((v) => v.id)).toEqual(['r00']);
  });
  it.each<[string, Record<string, string>, string[]]>([
    ['link up, no sync: in sync', { master_link_status: 'up', master_sync_in_progress: '0' }, []],
    ['link down', { master_link_status: 'down', master_sync_in_progress: '0' }, ['s0-1']],
    ['full sync running', { master_link_status: 'up', master_sync_in_progress: '1' }, ['s0-1']],
    ['no INFO replication', {}, ['s0-1']],
  ])('%s', (_what, replication, expected) => {
    expect(syncingReplicas(podReplicas(views), [new Map(Object.entries(replication))])).toEqual(expected);
  });
});

describe('activeShardCount: never fewer shards than those that still own slots', () => {
  it.each<[string, string[], number, number]>([
    ['as many as the spec', ['0-100', '101-16383'], 2, 2],
    ['scale-in: shard 1 still owns slots, so it is kept', ['0-100', '101-16383'], 1, 2],
    ['scale-in done: shard 1 owns nothing', ['0-16383', ''], 1, 1],
    ['scale-out: the spec is ahead of the slots', ['0-16383'], 3, 3],
  ])('%s', (_what, slots, spec, expected) => {
    expect(activeShardCount({ shards: spec, replicasPerShard: 0 }, cluster(shards(slots, 0)))).toBe(expected);
  });
});
