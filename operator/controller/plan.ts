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
import { plainObject } from '../workload/types.js';
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
  cbd: ChatbotDeployment,
  merged: MergedContributions,
  c: FleetCaches,
): ChildPlan[] {
  const core: ChildPlan[] = [
    {
      resource: Resources.ServiceAccount,
      name: childNames.serviceAccount(cbd),
      desired: plainObject(desiredServiceAccount(cbd)),
      cache: c.serviceAccounts,
    },
    {
      resource: Resources.ConfigMap,
      name: childNames.configMap(cbd),
      desired: plainObject(desiredConfigMap(cbd)),
      cache: c.configMaps,
    },
    {
      resource: Resources.Service,
      name: childNames.service(cbd),
      desired: plainObject(desiredService(cbd)),
      cache: c.services,
    },
    ...(['stable', 'canary'] as const).map((track) => ({
      resource: Resources.Service,
      name: trackNames.service(cbd, track),
      desired: plainObject(desiredService(cbd, track)),
      cache: c.services,
    })),
    {
      resource: Resources.PodDisruptionBudget,
      name: childNames.podDisruptionBudget(cbd),
      desired: optionalPlain(desiredPodDisruptionBudget(cbd)),
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
  return [...core, ...extra, ...deploymentPlans(cbd, merged, c)];
}

function optionalPlain(model: { toJSON(): unknown } | undefined): KubeObject | undefined {
  return model && plainObject(model);
}

/**
 * Both tracks' Deployments, with replica counts composed explicitly (composeReplicas): the stable one
 * from `replicas` (the autoscaler), the canary from the rollout's share. Without a rollout component
 * the fleet is one stable track running the spec, and a leftover canary is deleted.
 */
function deploymentPlans(cbd: ChatbotDeployment, merged: MergedContributions, c: FleetCaches): ChildPlan[] {
  const tracks = merged.tracks;
  const replicas = composeReplicas({
    stable: merged.replicas ?? cbd.spec.scaling.minReplicas,
    canaryShare: tracks?.canary?.share ?? 0,
    maxReplicas: cbd.spec.scaling.maxReplicas,
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
      name: childNames.deployment(cbd),
      desired: plainObject(
        desiredDeployment(cbd, {
          ...common,
          replicas: replicas.stable,
          track: 'stable',
          ...(tracks ? { revision: tracks.stable } : {}),
        }),
      ),
      cache: c.deployments,
    },
    {
      resource: Resources.Deployment,
      name: trackNames.deployment(cbd, 'canary'),
      desired: canary
        ? plainObject(
            desiredDeployment(cbd, {
              ...common,
              replicas: replicas.canary,
              track: 'canary',
              revision: canary.revision,
            }),
          )
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
