/**
 * A connection to one Redis Cluster node (ioredis, no Kubernetes). The executor sees nodes only
 * through `ClusterNodeClient` and gets them from a `ClusterNodeFactory` (default: `ClusterNode`),
 * so every command the cluster pass sends goes through this one seam.
 */
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
  /** Its controller-revision-hash differs from its StatefulSet's updateRevision (OnDelete roll pending). */
  outdated?: boolean;
  /** The redis container's restart count: a restart in place (same name and IP) is a membership change too. */
  restarts?: number;
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

/** Default bound of one Redis command: a node that accepts TCP and never answers must not hang a reconcile. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** The message of an error from any realm (ioredis errors may not be `instanceof Error` under a VM). */
function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/**
 * Rejects with `what` if `promise` has not settled within `ms`, after calling `onTimeout` (which
 * disconnects, so nothing keeps waiting on the dead socket).
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject first: onTimeout's disconnect rejects `promise` too, and the race takes the first.
      reject(new Error(`${what}: no answer within ${ms} ms`));
      onTimeout();
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the cluster executor needs from one node; `ClusterNode` is the ioredis implementation. */
export interface ClusterNodeClient {
  readonly pod: ClusterPod;
  connect(): Promise<void>;
  cluster(...args: (string | number)[]): Promise<unknown>;
  view(): Promise<NodeView>;
  info(): Promise<Map<string, string>>;
  replication(): Promise<Map<string, string>>;
  countKeysInSlot(slot: number): Promise<number>;
  /** MIGRATE `keys` to `target` (REPLACE, AUTH when a password is set). */
  migrateKeys(
    target: ClusterPod,
    keys: readonly string[],
    timeoutMs: number,
    password?: string,
  ): Promise<void>;
  close(): void;
}

export interface NodeConnection {
  password: string | undefined;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Opens (lazily) the client of one pod; injected so tests can wrap or record real nodes. */
export type ClusterNodeFactory = (pod: ClusterPod, connection: NodeConnection) => ClusterNodeClient;

export const redisNodeFactory: ClusterNodeFactory = (pod, c) =>
  new ClusterNode(pod, c.password, c.connectTimeoutMs, c.commandTimeoutMs);

export class ClusterNode implements ClusterNodeClient {
  readonly client: Redis;

  constructor(
    readonly pod: ClusterPod,
    password: string | undefined,
    private readonly connectTimeoutMs: number,
    private readonly commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    this.client = new Redis({
      host: pod.host,
      port: pod.port,
      password,
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      // Every command, MIGRATE included, fails after this; the caller sizes it above MIGRATE's timeout.
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      // The reconciler retries on its own schedule; a node that is down must fail fast.
      retryStrategy: () => null,
    });
    // Errors surface through the rejected commands; the last one explains a failed connect.
    this.client.on('error', (err: unknown) => (this.lastError = messageOf(err)));
  }

  private lastError: string | undefined;

  /** TCP connect, AUTH and the ready check, all within connectTimeout + commandTimeout. */
  async connect(): Promise<void> {
    const what = `connect to Redis ${podLabel(this.pod)}`;
    const ms = this.connectTimeoutMs + this.commandTimeoutMs;
    try {
      await withDeadline(this.client.connect(), ms, what, () => this.client.disconnect());
    } catch (err) {
      const message = messageOf(err);
      if (message.startsWith(what)) throw err;
      // ioredis closes after a timed-out AUTH or ready check and rejects with "Connection is closed".
      const detail = this.lastError && this.lastError !== message ? `${this.lastError}, ${message}` : message;
      throw new Error(`${what}: no complete handshake (${detail})`, { cause: err });
    }
  }

  async cluster(...args: (string | number)[]): Promise<unknown> {
    try {
      return await this.client.call('CLUSTER', ...args);
    } catch (err) {
      // Name the node and the command: "Command timed out" alone does not say which node hung.
      throw new Error(`CLUSTER ${String(args[0] ?? '')} on ${podLabel(this.pod)}: ${messageOf(err)}`, {
        cause: err,
      });
    }
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

  /** INFO replication as key -> value (role, master_link_status, *_repl_offset...). */
  async replication(): Promise<Map<string, string>> {
    return parseClusterInfo(String(await this.client.call('INFO', 'replication')));
  }

  async countKeysInSlot(slot: number): Promise<number> {
    return Number(await this.cluster('COUNTKEYSINSLOT', slot));
  }

  async migrateKeys(
    target: ClusterPod,
    keys: readonly string[],
    timeoutMs: number,
    password?: string,
  ): Promise<void> {
    const auth = password ? ['AUTH', password] : [];
    // REPLACE: the source is authoritative while the slot is MIGRATING, so a copy left on the
    // target by an interrupted earlier attempt may be overwritten.
    await this.client.call(
      'MIGRATE',
      target.host,
      target.port,
      '',
      0,
      timeoutMs,
      'REPLACE',
      ...auth,
      'KEYS',
      ...keys,
    );
  }

  close(): void {
    this.client.disconnect();
  }
}
