import { specFieldDefault } from '../api/defaults.js';
import type { ChatbotDeployment } from '../api/generated/chatbotdeployment.js';
import { targetInflightPerPod } from '../api/index.js';
import type { ScalingPolicy, ScalingRules, SloPolicy } from './core/types.js';

/** Annotation alternative to spec.scaling.paused (handy for `kubectl annotate`). */
export const PAUSED_ANNOTATION = 'chatfleet.io/autoscaling-paused';

/**
 * An explicit empty `policies: []` keeps the CRD's default policies (as the operator always did): with no
 * policy at all the core could never scale in that direction, which `selectPolicy: Disabled` says plainly.
 */
function rules(
  given: ScalingRules,
  direction: keyof ChatbotDeployment['spec']['scaling']['behavior'],
): ScalingRules {
  if (given.policies.length > 0) return given;
  return { ...given, policies: specFieldDefault('scaling').behavior[direction].policies };
}

/**
 * What a fleet's learnt capacity belongs to: the image, the model and the SLO it was measured against. A
 * change of any of them makes the core learn again (a rollout changes the first two; a new SLO moves the
 * aim latency). The runtime's resources are part of it too: a new CPU limit is a new capacity.
 */
export function capacityRevision(cbd: ChatbotDeployment): string {
  const { runtime, model, slo } = cbd.spec;
  return JSON.stringify([
    runtime.image,
    model.name,
    model.version,
    model.bundleConfigMap ?? '',
    runtime.resources,
    slo.latency.percentile,
    slo.latency.targetMs,
  ]);
}

/**
 * spec.scaling as the core reads it. The ChatbotDeployment arrives defaulted (the reconciler applies the
 * CRD's defaults once), so this only derives: the pause annotation, the in-flight target's documented
 * default (a share of spec.runtime.maxInflight; learnt online when unset) and the runtime's shedding limit.
 */
export function resolveScalingPolicy(cbd: ChatbotDeployment): ScalingPolicy {
  const { scaling, runtime } = cbd.spec;
  return {
    minReplicas: scaling.minReplicas,
    maxReplicas: scaling.maxReplicas,
    paused: scaling.paused || cbd.metadata.annotations?.[PAUSED_ANNOTATION] === 'true',
    intervalSeconds: scaling.intervalSeconds,
    targetInflightPerPod: targetInflightPerPod(cbd.spec),
    learnCapacity: scaling.targetInflightPerPod === undefined,
    capacityRevision: capacityRevision(cbd),
    maxInflightPerPod: runtime.maxInflight,
    tolerance: scaling.tolerance,
    metricsWindowSeconds: scaling.metricsWindowSeconds,
    panic: scaling.panic,
    behavior: {
      scaleUp: rules(scaling.behavior.scaleUp, 'scaleUp'),
      scaleDown: rules(scaling.behavior.scaleDown, 'scaleDown'),
    },
    fallback: scaling.fallback,
    schedules: scaling.schedules ?? [],
    predictive: scaling.predictive,
  };
}

export function resolveSloPolicy(cbd: ChatbotDeployment): SloPolicy {
  return cbd.spec.slo;
}
