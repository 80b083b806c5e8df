import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  desiredService,
  desiredServiceAccount,
} from '../workload/desired.js';
import { FIELD_MANAGER, LABEL_MANAGED_BY, childNames } from '../workload/labels.js';
import { composeReplicas, trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { MergedContributions, OwnedChild } from './component.js';
import type { FleetCaches, ObjectCache } from './reconciler.js';

/** One child the reconciler converges: desired undefined means "must not exist" (deleted if ours). */
export interface ChildPlan {
  resource: ResourceKind;
  name: string;
  desired: KubeObject | undefined;
  cache?: ObjectCache | undefined;
}

/** Pure: every child of a fleet, in apply order, from the CR and the components' contributions. */
export function planChildren(
  cr: ChatbotDeployment,
  merged: MergedContributions,
  c: FleetCaches,
): ChildPlan[] {
  const core: ChildPlan[] = [
    {
      resource: Resources.ServiceAccount,
      name: childNames.serviceAccount(cr),
      desired: desiredServiceAccount(cr),
      cache: c.serviceAccounts,
    },
    {
      resource: Resources.ConfigMap,
      name: childNames.configMap(cr),
      desired: desiredConfigMap(cr),
      cache: c.configMaps,
    },
    {
      resource: Resources.Service,
      name: childNames.service(cr),
      desired: desiredService(cr),
      cache: c.services,
    },
    ...(['stable', 'canary'] as const).map((track) => ({
      resource: Resources.Service,
      name: trackNames.service(cr, track),
      desired: desiredService(cr, track),
      cache: c.services,
    })),
    {
      resource: Resources.PodDisruptionBudget,
      name: childNames.podDisruptionBudget(cr),
      desired: desiredPodDisruptionBudget(cr),
      cache: c.podDisruptionBudgets,
    },
  ];
  const extra = merged.children.map((ch) => ({
    resource: ch.resource,
    name: ch.object.metadata.name ?? '',
    desired: ch.object,
    cache: cacheFor(ch, c),
  }));
  // Component children first: the Deployment's pods may need them (Redis Service, Secrets).
  return [...core, ...extra, ...deploymentPlans(cr, merged, c)];
}

/**
 * Both tracks' Deployments, with replica counts composed explicitly (composeReplicas): the stable one
 * from `replicas` (the autoscaler), the canary from the rollout's share. Without a rollout component
 * the fleet is one stable track running the spec, and a leftover canary is deleted.
 */
function deploymentPlans(cr: ChatbotDeployment, merged: MergedContributions, c: FleetCaches): ChildPlan[] {
  const tracks = merged.tracks;
  const replicas = composeReplicas({
    stable: merged.replicas ?? cr.spec.scaling.minReplicas,
    canaryShare: tracks?.canary?.share ?? 0,
    maxReplicas: cr.spec.scaling.maxReplicas,
  });
  const common = {
    env: merged.env,
    podAnnotations: merged.podAnnotations,
    ...(tracks ? { routingConfigMap: tracks.routingConfigMap } : {}),
  };
  const canary = tracks?.canary;
  return [
    {
      resource: Resources.Deployment,
      name: childNames.deployment(cr),
      desired: desiredDeployment(cr, {
        ...common,
        replicas: replicas.stable,
        track: 'stable',
        ...(tracks ? { revision: tracks.stable } : {}),
      }),
      cache: c.deployments,
    },
    {
      resource: Resources.Deployment,
      name: trackNames.deployment(cr, 'canary'),
      desired: canary
        ? desiredDeployment(cr, {
            ...common,
            replicas: replicas.canary,
            track: 'canary',
            revision: canary.revision,
          })
        : undefined,
      cache: c.deployments,
    },
  ];
}

/**
 * A component child that names its cache, or opts in (`cached`) and is of a kind the core caches
 * (informers select managed-by=chatfleet-operator), is read from the cache; anything else with a GET
 * (see ChildApplier: at most once per verification period).
 */
function cacheFor(ch: OwnedChild, c: FleetCaches): ObjectCache | undefined {
  if (ch.cache) return ch.cache;
  const labelled = ch.object.metadata.labels?.[LABEL_MANAGED_BY] === FIELD_MANAGER;
  if (!ch.cached || !labelled || ch.resource.group !== '') return undefined;
  const byKind: Record<string, ObjectCache | undefined> = {
    ConfigMap: c.configMaps,
    Service: c.services,
    ServiceAccount: c.serviceAccounts,
  };
  return byKind[ch.resource.kind];
}
