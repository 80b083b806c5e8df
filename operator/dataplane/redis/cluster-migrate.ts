/**
 * Live slot migration between two primaries, the procedure from the Redis Cluster spec:
 * IMPORTING on the target, MIGRATING on the source, MIGRATE the keys in batches, then
 * SETSLOT NODE on target, source and every other primary. Keys stay readable throughout:
 * clients get ASK redirects for keys already moved.
 */
import type { ClusterNode } from './cluster-node.js';

export interface MigrateOptions {
  password: string | undefined;
  batchSize: number;
  timeoutMs: number;
}

export async function migrateSlot(
  slot: number,
  source: { node: ClusterNode; id: string },
  target: { node: ClusterNode; id: string },
  others: readonly ClusterNode[],
  opts: MigrateOptions,
  /** Resuming a migration whose target already took ownership: only move leftovers and close. */
  targetOwnsSlot = false,
): Promise<number> {
  if (!targetOwnsSlot) {
    await target.node.cluster('SETSLOT', slot, 'IMPORTING', source.id);
    await source.node.cluster('SETSLOT', slot, 'MIGRATING', target.id);
  }
  let moved = 0;
  for (;;) {
    const keys = (await source.node.cluster('GETKEYSINSLOT', slot, opts.batchSize)) as string[];
    if (keys.length === 0) break;
    await migrateKeys(source.node, target.node, keys, opts);
    moved += keys.length;
  }
  await target.node.cluster('SETSLOT', slot, 'NODE', target.id);
  await source.node.cluster('SETSLOT', slot, 'NODE', target.id).catch(ignoreIfNoLongerPrimary);
  // Telling the other primaries directly avoids a window of stale MOVED redirects; gossip would
  // converge anyway, so their failures are not fatal.
  await Promise.all(others.map((n) => n.cluster('SETSLOT', slot, 'NODE', target.id).catch(() => undefined)));
  return moved;
}

async function migrateKeys(
  source: ClusterNode,
  target: ClusterNode,
  keys: string[],
  opts: MigrateOptions,
): Promise<void> {
  const auth = opts.password ? ['AUTH', opts.password] : [];
  // REPLACE: the source is authoritative while the slot is MIGRATING, so a copy left on the
  // target by an interrupted earlier attempt may be overwritten.
  await source.client.call(
    'MIGRATE',
    target.pod.host,
    target.pod.port,
    '',
    0,
    opts.timeoutMs,
    'REPLACE',
    ...auth,
    'KEYS',
    ...keys,
  );
}

/**
 * Redis 7 turns a primary that lost its last slot into a replica of the node that took it
 * (cluster-allow-replica-migration). When the final slots of a drained shard migrate in
 * parallel, gossip can do that before our own SETSLOT NODE reaches the source; the slot has
 * then already moved, so that refusal is success.
 */
function ignoreIfNoLongerPrimary(err: unknown): void {
  if (err instanceof Error && err.message.includes('only with masters')) return;
  throw err;
}
