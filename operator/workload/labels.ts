import type { ChatbotDeployment } from './types.js';

import { Label, MANAGED_BY } from '../api/index.js';

/** The one SSA field manager of the operator; also the managed-by label value. */
export const FIELD_MANAGER = MANAGED_BY;
export const LABEL_NAME = Label.name;
export const LABEL_INSTANCE = Label.instance;
export const LABEL_MANAGED_BY = Label.managedBy;
export const LABEL_MODEL_VERSION = Label.modelVersion;
export const APP_NAME = 'chatbot';
/** Pod template annotation: a hash of the runtime ConfigMap, so a config change rolls the pods. */
export const ANNOTATION_CONFIG_HASH = 'chatfleet.io/config-hash';

/** Labels that select a fleet's pods. Immutable in a Deployment, so never the model version. */
export function selectorLabels(cbd: ChatbotDeployment): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: crName(cbd) };
}

export function childLabels(cbd: ChatbotDeployment): Record<string, string> {
  return { ...selectorLabels(cbd), [LABEL_MANAGED_BY]: FIELD_MANAGER };
}

export function podLabels(cbd: ChatbotDeployment): Record<string, string> {
  return { ...childLabels(cbd), [LABEL_MODEL_VERSION]: cbd.spec.model.version };
}

/** The label selector string (status.selector, also what the scale subresource reports). */
export function selectorString(cbd: ChatbotDeployment): string {
  return Object.entries(selectorLabels(cbd))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * Name and namespace of a fleet, as strings: the one copy (operator/dataplane/identity.ts and the
 * worker names re-use it). The generated type has them optional (V1ObjectMeta); a CR read from the
 * API server always has both, so '' only appears for an object built by hand.
 */
export function crName(cbd: Pick<ChatbotDeployment, 'metadata'>): string {
  return cbd.metadata.name ?? '';
}

export function crNamespace(cbd: Pick<ChatbotDeployment, 'metadata'>): string {
  return cbd.metadata.namespace ?? '';
}

/** Names of the children; the ConfigMap gets a suffix so a user's bundle ConfigMap can use the plain name. */
export const childNames = {
  deployment: (cbd: ChatbotDeployment): string => crName(cbd),
  service: (cbd: ChatbotDeployment): string => crName(cbd),
  podDisruptionBudget: (cbd: ChatbotDeployment): string => crName(cbd),
  serviceAccount: (cbd: ChatbotDeployment): string => crName(cbd),
  configMap: (cbd: ChatbotDeployment): string => `${crName(cbd)}-runtime`,
};
