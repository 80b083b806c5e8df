import { describe, expect, it } from '@jest/globals';
import { shardPrimary } from './cluster.js';
import type { NodeView } from './cluster-node.js';
import { parseClusterNodes } from './cluster-nodes.js';

/** Pod views of shard 0 from one CLUSTER NODES text: `pods` maps node id -> ordinal. */
function views(text: string, pods: Record<string, number>): NodeView[] {
  const known = parseClusterNodes(text);
  return known
    .filter((n) => pods[n.id] !== undefined)
    .map((self) => ({
      pod: { shard: 0, ordinal: pods[self.id]!, host: self.host, port: 6379, name: `s0-${pods[self.id]}` },
      id: self.id,
      self,
      known,
    }));
}

describe('shardPrimary: membership follows the pods, not ordinal 0', () => {
  it.each<[string, string, Record<string, number>, string | undefined]>([
    [
      'after a failover pod 1 owns the slots: pod 1 is the primary, pod 0 (new, empty) is not',
      [
        'a 10.0.0.1:6379@16379 master - 0 0 1 connected',
        'b 10.0.0.2:6379@16379 master - 0 0 2 connected 0-99',
      ].join('\n'),
      { a: 0, b: 1 },
      's0-1',
    ],
    [
      'pod 1 still replicates a dead node: no primary yet (Redis is failing over; attach nothing)',
      [
        'a 10.0.0.1:6379@16379 master - 0 0 1 connected',
        'b 10.0.0.2:6379@16379 slave dead 0 0 2 connected',
        'dead 10.0.0.9:6379@16379 master,fail - 0 0 3 disconnected 0-99',
      ].join('\n'),
      { a: 0, b: 1 },
      undefined,
    ],
    [
      'bootstrap: no slots anywhere, nobody replicates: pod 0',
      [
        'a 10.0.0.1:6379@16379 master - 0 0 1 connected',
        'b 10.0.0.2:6379@16379 master - 0 0 2 connected',
      ].join('\n'),
      { a: 0, b: 1 },
      's0-0',
    ],
  ])('%s', (_what, text, pods, expected) => {
    expect(shardPrimary(views(text, pods), 0)?.pod.name).toBe(expected);
  });
});
