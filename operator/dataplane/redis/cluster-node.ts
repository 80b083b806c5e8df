/** A connection to one Redis Cluster node (ioredis, no Kubernetes). */
import { Redis } from 'ioredis';
import { parseClusterInfo, parseClusterNodes } from './cluster-nodes.js';
import type { ClusterNodeInfo } from './cluster-nodes.js';

/** One Redis pod as the reconciler sees it: which shard StatefulSet and ordinal, and where. */
export interface ClusterPod {
  shard: number;
  ordinal: number;
  host: string;
  port: number;
  /** Pod name, reported in status; defaults to host:port. */
  name?: string;
}

export interface NodeView {
  pod: ClusterPod;
  id: string;
  /** This node's own line from CLUSTER NODES. */
  self: ClusterNodeInfo;
  /** Everything this node knows, including itself. */
  known: ClusterNodeInfo[];
}

export function podLabel(pod: ClusterPod): string {
  return pod.name ?? `${pod.host}:${pod.port}`;
}

export class ClusterNode {
  readonly client: Redis;

  constructor(
    readonly pod: ClusterPod,
    password: string | undefined,
    connectTimeoutMs: number,
  ) {
    this.client = new Redis({
      host: pod.host,
      port: pod.port,
      password,
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      // The reconciler retries on its own schedule; a node that is down must fail fast.
      retryStrategy: () => null,
    });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async cluster(...args: (string | number)[]): Promise<unknown> {
    return this.client.call('CLUSTER', ...args);
  }

  async view(): Promise<NodeView> {
    const text = String(await this.cluster('NODES'));
    const known = parseClusterNodes(text);
    const self = known.find((n) => n.flags.includes('myself'));
    if (!self) throw new Error(`CLUSTER NODES of ${podLabel(this.pod)} has no "myself" line`);
    return { pod: this.pod, id: self.id, self, known };
  }

  async info(): Promise<Map<string, string>> {
    return parseClusterInfo(String(await this.cluster('INFO')));
  }

  close(): void {
    this.client.disconnect();
  }
}
