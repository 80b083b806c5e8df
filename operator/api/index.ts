// The ChatbotDeployment API for TypeScript code: generated types (from crds/, see
// scripts/generate-api-types.ts) plus the hand-written names every component shares.
//
// Type convention: `ChatbotDeployment`, `ChatbotDeploymentSpec`, ... describe objects as the API
// server returns them (every defaulted field present). `ChatbotDeploymentInput`,
// `ChatbotDeploymentSpecInput`, ... describe what a user writes (defaulted fields optional);
// `withDefaults` turns the one into the other exactly like the API server does.
import type { ChatbotDeploymentSpec } from './generated/chatbotdeployment.js';

export type * from './generated/chatbotdeployment.js';
export { chatbotDeploymentCrd } from './generated/crd.js';
export { applySchemaDefaults, specWithDefaults, withDefaults } from './defaults.js';

export const API_GROUP = 'chatfleet.io';
export const API_VERSION = 'v1alpha1';
/** The apiVersion field of a ChatbotDeployment. */
export const API_GROUP_VERSION = 'chatfleet.io/v1alpha1';
export const KIND = 'ChatbotDeployment';
export const LIST_KIND = 'ChatbotDeploymentList';
export const PLURAL = 'chatbotdeployments';
export const SINGULAR = 'chatbotdeployment';
export const SHORT_NAME = 'cbd';
export const CATEGORY = 'chatfleet';
/** metadata.name of the CustomResourceDefinition. */
export const CRD_NAME = 'chatbotdeployments.chatfleet.io';

/** Condition types in status.conditions (a list keyed by type). */
export const ConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  ScalingActive: 'ScalingActive',
  ScalingLimited: 'ScalingLimited',
  SLOMet: 'SLOMet',
  FallbackActive: 'FallbackActive',
  RedisReady: 'RedisReady',
  TopicsReady: 'TopicsReady',
  RolloutHealthy: 'RolloutHealthy',
  WorkersReady: 'WorkersReady',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];
export const CONDITION_TYPES: readonly ConditionType[] = Object.values(ConditionType);

/**
 * Constant, CamelCase condition reasons (machine-readable; the message carries the details).
 * Components add reasons here rather than inventing strings inline, so one name means one thing.
 */
export const ConditionReason = {
  // Ready / Progressing / Degraded
  Available: 'Available',
  NotAvailable: 'NotAvailable',
  Reconciling: 'Reconciling',
  ReconcileFailed: 'ReconcileFailed',
  ReplicasUpdating: 'ReplicasUpdating',
  Complete: 'Complete',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  AsExpected: 'AsExpected',
  ImagePullFailed: 'ImagePullFailed',
  Unschedulable: 'Unschedulable',
  CrashLooping: 'CrashLooping',
  /** A container cannot start: a Secret, ConfigMap or key it references is missing (operator/workload/status.ts). */
  ContainerConfigError: 'ContainerConfigError',
  /** The ReplicaSet cannot create pods: quota, or Pod Security admission (operator/workload/status.ts). */
  ReplicaFailure: 'ReplicaFailure',
  /** A child's name is taken by an object this fleet does not control (operator/controller/ownership.ts). */
  NameConflict: 'NameConflict',
  // Scaling / SLO / fallback
  MetricsAvailable: 'MetricsAvailable',
  MetricsUnavailable: 'MetricsUnavailable',
  ScalingPaused: 'ScalingPaused',
  TooFewReplicas: 'TooFewReplicas',
  TooManyReplicas: 'TooManyReplicas',
  WithinTarget: 'WithinTarget',
  TargetMissed: 'TargetMissed',
  NoData: 'NoData',
  // RedisReady and TopicsReady (operator/dataplane/conditions.ts)
  Ready: 'Ready',
  External: 'External',
  ExternalSecretInvalid: 'ExternalSecretInvalid',
  WaitingForPods: 'WaitingForPods',
  Bootstrapping: 'Bootstrapping',
  Rebalancing: 'Rebalancing',
  ClusterUnhealthy: 'ClusterUnhealthy',
  RedisUnavailable: 'RedisUnavailable',
  /** Degraded (a warning): a managed Redis that loses sessions when one pod is lost (operator/dataplane/redis/validate.ts). */
  NoRedundancy: 'NoRedundancy',
  /** A cluster shard's primary died with no replica to promote: its data is gone (operator/dataplane/redis/heal-plan.ts). */
  ShardDataLost: 'ShardDataLost',
  /** The operator is replacing outdated Redis pods one at a time (operator/dataplane/redis/roll-plan.ts). */
  RollingUpdate: 'RollingUpdate',
  KafkaUnavailable: 'KafkaUnavailable',
  KafkaError: 'KafkaError',
  NotSupported: 'NotSupported',
  PartitionsBelowMaxReplicas: 'PartitionsBelowMaxReplicas',
  /** An existing topic the CR neither created nor adopts: left untouched (operator/dataplane/kafka/ownership.ts). */
  TopicNotOwned: 'TopicNotOwned',
  /** A topic another ChatbotDeployment owns. */
  TopicConflict: 'TopicConflict',
  Deleting: 'Deleting',
  // Rollout
  RolloutIdle: 'RolloutIdle',
  RolloutProgressing: 'RolloutProgressing',
  AnalysisPassed: 'AnalysisPassed',
  AnalysisFailed: 'AnalysisFailed',
  AnalysisInconclusive: 'AnalysisInconclusive',
  RolloutAborted: 'RolloutAborted',
  RolloutPromoted: 'RolloutPromoted',
  // WorkersReady (operator/workers/status.ts); Available and WaitingForPods are shared with the above
  /** The worker pool is at zero replicas on purpose (minReplicas 0, no lag). */
  ScaledToZero: 'ScaledToZero',
  /** The worker group's lag cannot be read: the pool keeps its size and is not scaled. */
  LagUnavailable: 'LagUnavailable',
  /** Explicit spec.messaging.kafka.topics without a topic of purpose tasks: no worker has anything to consume. */
  NoTasksTopic: 'NoTasksTopic',
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];

/** Labels on every child object (Kubernetes recommended labels) and on bot pods. */
export const Label = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  modelVersion: 'chatfleet.io/model-version',
} as const;
/** Value of app.kubernetes.io/managed-by on every object the operator creates. */
export const MANAGED_BY = 'chatfleet-operator';

/** Where the bundle.json of spec.model.bundleConfigMap is mounted (env MODEL_BUNDLE). */
export const MODEL_BUNDLE_PATH = '/etc/chatfleet/model/bundle.json';

/** Share of spec.runtime.maxInflight used as the in-flight target when spec.scaling.targetInflightPerPod is unset. */
export const DEFAULT_TARGET_INFLIGHT_SHARE = 0.7;

/** spec.scaling.targetInflightPerPod, or its documented default of 0.7 x spec.runtime.maxInflight. */
export function targetInflightPerPod(spec: Pick<ChatbotDeploymentSpec, 'scaling' | 'runtime'>): number {
  return spec.scaling.targetInflightPerPod ?? DEFAULT_TARGET_INFLIGHT_SHARE * spec.runtime.maxInflight;
}

/**
 * Whether the fleet runs background workers (spec.workers.enabled): unset means on exactly when
 * spec.messaging.kafka is set. A CRD default cannot depend on another field, so this is the one
 * place the derived default lives; the CRD refuses enabled true without Kafka.
 */
export function workersEnabled(spec: Pick<ChatbotDeploymentSpec, 'workers' | 'messaging'>): boolean {
  if (!spec.messaging?.kafka) return false;
  return spec.workers?.enabled ?? true;
}

/**
 * The default Kafka topics used when spec.messaging.kafka.topics is empty:
 * `<namespace>.<name>.events` and `<namespace>.<name>.tasks`.
 */
export function defaultTopicNames(namespace: string, name: string): { events: string; tasks: string } {
  return { events: `${namespace}.${name}.events`, tasks: `${namespace}.${name}.tasks` };
}
