/**
 * Observed Redis Clusters for the planner's unit tests, written as CLUSTER NODES text (parsed by
 * the real parser), so a case reads like what `redis-cli cluster nodes` prints. Test-only.
 */
import type { NodeView } from './cluster-node.js';
import { parseClusterNodes } from './cluster-nodes.js';

export interface PodNode {
  id: string;
  shard: number;
  ordinal: number;
  /** The primary's node id, for a replica. */
  of?: string;
  /** Slot fields as CLUSTER NODES prints them: "0-5461", "[7->-b]", "[7-<-a]". */
  slots?: string;
  outdated?: boolean;
  /** Knows only itself (a blank node nobody has met). */
  blank?: boolean;
}

/** A node that is no longer a pod, as every pod sees it. */
export interface GoneNode {
  id: string;
  flags: string;
  of?: string;
  slots?: string;
}

const address = (i: number): string => `10.201.0.${i + 10}:6379@16379`;

function line(n: PodNode, i: number, myself: boolean): string {
  const role = n.of ? 'slave' : 'master';
  const flags = myself ? `myself,${role}` : role;
  return `${n.id} ${address(i)} ${flags} ${n.of ?? '-'} 0 0 1 connected ${n.slots ?? ''}`.trim();
}

/** Pod views in pod order: every pod knows every non-blank pod and every gone node. */
export function cluster(pods: readonly PodNode[], gone: readonly GoneNode[] = []): NodeView[] {
  const goneLines = gone.map((g) =>
    `${g.id} 10.201.0.250:6379@16379 ${g.flags} ${g.of ?? '-'} 0 0 1 disconnected ${g.slots ?? ''}`.trim(),
  );
  return pods.map((p, i) => {
    const others = p.blank ? [] : pods.flatMap((o, j) => (o === p || o.blank ? [] : [line(o, j, false)]));
    const known = parseClusterNodes([line(p, i, true), ...others, ...(p.blank ? [] : goneLines)].join('\n'));
    const self = known[0];
    if (!self) throw new Error(`fixture ${p.id} has no own line`);
    const pod = { shard: p.shard, ordinal: p.ordinal, host: address(i).split(':')[0] ?? '', port: 6379 };
    return { pod: { ...pod, name: `s${p.shard}-${p.ordinal}`, outdated: p.outdated }, id: p.id, self, known };
  });
}

/** Shards x (1 + replicas) pods, pod 0 primary of each shard, with the given slot fields. */
export function shards(slots: readonly string[], replicas = 1): PodNode[] {
  return slots.flatMap((s, shard) => {
    const primary: PodNode = { id: `p${shard}`, shard, ordinal: 0, slots: s };
    const followers = Array.from({ length: replicas }, (_, r) => ({
      id: `r${shard}${r}`,
      shard,
      ordinal: r + 1,
      of: primary.id,
    }));
    return [primary, ...followers];
  });
}

export const EVEN3 = ['0-5461', '5462-10922', '10923-16383'];
export const EVEN4 = ['0-4095', '4096-8191', '8192-12287', '12288-16383'];
