/**
 * Deletes the Redis objects of a CR that the spec no longer wants: all of them after a switch to
 * external mode, the StatefulSet and PDB of a shard that a scale-in has drained. Only objects
 * labelled as this CR's Redis AND controlled by this CR's uid are candidates, so a user's own objects
 * are never touched. It reads the informer caches, and only when the wanted set changed (and once per
 * fleet after the operator starts), so a steady state issues no reads and no writes.
 * The generated password Secret stays until the CR is deleted: switching back must not rotate the
 * password under running clients.
 */
import type { ComponentContext, ComponentEvent, OwnedChild } from '../../controller/component.js';
import { controlledBy } from '../../controller/ownership.js';
import type { ObjectCache } from '../../controller/reconciler.js';
import type { KubeClient } from '../../kube/client.js';
import { Resources } from '../../kube/resources.js';
import { labelled } from '../contribution.js';
import { nameOf, namespaceOf } from '../identity.js';
import { redisSelector } from '../labels.js';

/** The kinds managed Redis is made of (the password Secret aside); all carry redisSelector labels. */
export const REDIS_CHILD_KINDS = [Resources.StatefulSet, Resources.Service, Resources.PodDisruptionBudget];

export interface PruneState {
  /** The wanted Redis object set last pruned against: prune again only when it changes. */
  prunedFor?: string;
}

/** Deletes the unwanted Redis objects; returns "Kind name" of each one deleted. */
export async function pruneRedis(
  kube: Pick<KubeClient, 'delete'>,
  caches: ReadonlyMap<string, ObjectCache>,
  ctx: ComponentContext,
  state: PruneState,
  wanted: readonly OwnedChild[],
): Promise<string[]> {
  const cbd = ctx.cbd;
  const wantedKeys = new Set(wanted.map((c) => `${c.resource.kind}/${c.object.metadata.name ?? ''}`));
  const fingerprint = `${cbd.metadata.uid ?? ''}|${[...wantedKeys].sort().join(',')}`;
  if (state.prunedFor === fingerprint) return [];
  const ns = namespaceOf(cbd);
  const selector = redisSelector(nameOf(cbd));
  const deleted: string[] = [];
  for (const resource of REDIS_CHILD_KINDS) {
    const live = labelled(caches.get(resource.kind)?.list(ns) ?? [], selector);
    const unwanted = live.filter(
      (obj) => !wantedKeys.has(`${resource.kind}/${obj.metadata.name ?? ''}`) && controlledBy(obj, cbd),
    );
    for (const obj of unwanted) {
      const name = obj.metadata.name ?? '';
      if (await kube.delete(resource, ns, name)) deleted.push(`${resource.kind} ${name}`);
    }
  }
  if (deleted.length > 0) ctx.log.info({ deleted }, 'pruned Redis objects the spec no longer wants');
  state.prunedFor = fingerprint;
  return deleted;
}

export function prunedEvent(deleted: readonly string[]): ComponentEvent {
  return { type: 'Normal', reason: 'RedisPruned', action: 'Delete', note: `deleted ${deleted.join(', ')}` };
}
