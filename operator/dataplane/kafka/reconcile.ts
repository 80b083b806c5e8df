/**
 * One reconcile pass for a CR's topics: observe -> claim (ownership, ./ownership.ts) -> plan the
 * owned topics -> apply -> re-observe -> status; and the finalizer's deletion of the owned topics.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { condition, TOPICS_READY, TopicsReason } from '../conditions.js';
import type { Condition, ChatbotDeployment, TopicStatus } from '../types.js';
import type { KafkaConnection } from './credentials.js';
import { kafkaEnv } from './env.js';
import type { TopicOwnership } from './claims.js';
import { DEFAULT_TOPIC_DELETION_TIMEOUT_MS, deletionTiming } from './deletion.js';
import { KafkaCallAbortedError, KafkaUnavailableError, TopicOwnershipError } from './errors.js';
import type { KafkaAdminPool } from './admin-pool.js';
import { TopicManager } from './manager.js';
import type { AdminCalls, KafkaLogger, TopicManagerOptions } from './manager.js';
import { holderOf, planDeletion } from './ownership.js';
import type { DeletionPlan, TopicClaim } from './ownership.js';
import { planTopics } from './plan.js';
import { ownershipCall, resolveTopicOwnership } from './resolve-ownership.js';
import type { TopicOwnershipResult } from './resolve-ownership.js';
import { retryDelayMs, topicsCondition, topicStatuses, unavailableRetryDelayMs } from './status.js';
import { desiredTopics, tasksConsumers } from './topics.js';
import { errorMessage } from '../../kube/errors.js';

export const TOPIC_FINALIZER = 'chatfleet.io/kafka-topics';

export interface KafkaDeps {
  /** From the secretRef Secret (see ./credentials.ts); omit for a plaintext broker. */
  connection?: KafkaConnection;
  /** Why `connection` may be incomplete (e.g. the secretRef Secret is gone); added to failure messages. */
  connectionProblem?: string;
  now?: () => Date;
  logger?: KafkaLogger;
  /** The operator's shared admin clients (./admin-pool.ts); without it each pass connects its own. */
  adminPool?: KafkaAdminPool;
  /** Cancels the pass (leadership lost, shutdown): every admin call waiting on the broker ends at once. */
  signal?: AbortSignal | undefined;
  /** Test seam for timeouts; production uses the defaults. */
  managerOptions?: Partial<TopicManagerOptions>;
}

export interface TopicsDeps extends KafkaDeps {
  /** Topic claims (./claims.ts): what this CR owns. */
  ownership: TopicOwnership;
  /**
   * Read every claim from the API server, not the cache of our own. The caller sets it on the first
   * pass of a spec generation: a topic dropped from the spec and declared again may have been taken
   * over meanwhile (its claim was stale), which the cached claim would not show.
   */
  freshClaims?: boolean;
}

export interface TopicsResult {
  condition: Condition;
  topicsStatus: TopicStatus[];
  env: V1EnvVar[];
  requeueAfterMs: number;
}

function managerFor(cbd: ChatbotDeployment, deps: KafkaDeps): TopicManager {
  const kafka = cbd.spec.messaging?.kafka;
  return new TopicManager({
    brokers: kafka?.bootstrapServers ?? [],
    connection: deps.connection,
    logger: deps.logger,
    ...(deps.adminPool ? { pool: deps.adminPool } : {}),
    ...deps.managerOptions,
  });
}

function previousTopicsCondition(cbd: ChatbotDeployment): Condition | undefined {
  return cbd.status?.conditions?.find((c) => c.type === TOPICS_READY);
}

/** undefined when the CR declares no Kafka (then there is no TopicsReady condition at all). */
export async function reconcileTopics(
  cbd: ChatbotDeployment,
  deps: TopicsDeps,
): Promise<TopicsResult | undefined> {
  if (!cbd.spec.messaging?.kafka) return undefined;
  const now = deps.now?.() ?? new Date();
  const desired = desiredTopics(cbd);
  const names = desired.map((t) => t.name);
  const env = kafkaEnv(cbd);
  const manager = managerFor(cbd, deps);
  try {
    const outcome = await manager.withAdmin(async (admin) => {
      const clusterId = await manager.clusterId(admin);
      // Claims first: a topic this CR does not own is never changed, and its configs are not read.
      const existing = await manager.listed(admin, names);
      const owned = await resolveTopicOwnership(
        cbd,
        desired,
        existing,
        clusterId,
        deps.ownership,
        deps.freshClaims,
      );
      const managed = desired.filter((t) => owned.managed.has(t.name));
      const managedNames = managed.map((t) => t.name);
      const before = await manager.observe(admin, names, managedNames);
      const plan = planTopics(managed, before);
      const { failures, applied, alreadyExisted } = await manager.apply(admin, plan);
      await releaseRaced(alreadyExisted, owned, deps.ownership);
      const observed = applied.length > 0 ? await manager.observe(admin, names, managedNames) : before;
      return {
        desired,
        observed,
        drift: plan.drift,
        failures,
        notOwned: owned.notOwned,
        conflicts: owned.conflicts,
      };
    }, deps.signal);
    const consumers = tasksConsumers(cbd);
    const cond = topicsCondition(outcome, consumers.maxReplicas, consumers.field);
    const topicsStatus = topicStatuses(outcome);
    return {
      condition: cond,
      topicsStatus,
      env,
      requeueAfterMs: retryDelayMs(cond, previousTopicsCondition(cbd), now),
    };
  } catch (err: unknown) {
    // A cancelled pass learnt nothing about the broker: fail the reconcile, record no condition.
    if (err instanceof TopicOwnershipError || err instanceof KafkaCallAbortedError) throw err;
    return failedResult(cbd, err, env, now, deps.connectionProblem);
  }
}

/**
 * A create the broker answered with TOPIC_ALREADY_EXISTS: someone created the topic between our
 * listing and our create, so it is theirs. Release the claim just written and report it as not owned.
 */
async function releaseRaced(
  topics: readonly string[],
  owned: TopicOwnershipResult,
  store: TopicOwnership,
): Promise<void> {
  for (const topic of topics) {
    const claim = owned.claims.get(topic);
    if (claim) await ownershipCall('releasing a topic claim', () => store.release(claim));
    owned.managed.delete(topic);
    owned.notOwned.set(
      topic,
      `topic ${topic} was created by someone else just before this ChatbotDeployment could: left untouched; ` +
        'set adopt: true on it in spec.messaging.kafka.topics[] to manage it',
    );
  }
}

function failedResult(
  cbd: ChatbotDeployment,
  err: unknown,
  env: V1EnvVar[],
  now: Date,
  connectionProblem: string | undefined,
): TopicsResult {
  const unavailable = err instanceof KafkaUnavailableError;
  const cond = condition(
    TOPICS_READY,
    false,
    unavailable ? TopicsReason.KafkaUnavailable : TopicsReason.KafkaError,
    withProblem(errorMessage(err), connectionProblem),
  );
  const previous = cbd.status?.topics ?? [];
  // Keep the last known per-topic facts, but nothing is ready while we cannot see the broker.
  const topicsStatus = desiredTopics(cbd).map((t) => ({
    name: t.name,
    partitions: previous.find((p) => p.name === t.name)?.partitions ?? 0,
    ready: false,
    message: cond.message,
  }));
  const requeueAfterMs = unavailable
    ? unavailableRetryDelayMs(previousTopicsCondition(cbd), now)
    : retryDelayMs(cond, undefined, now);
  return { condition: cond, topicsStatus, env, requeueAfterMs };
}

function withProblem(message: string, problem: string | undefined): string {
  return problem ? `${message} (${problem})` : message;
}

/** The finalizer is wanted only when deleting the CR must delete its topics. */
export function needsTopicFinalizer(cbd: ChatbotDeployment): boolean {
  const kafka = cbd.spec.messaging?.kafka;
  return kafka !== undefined && kafka.deletionPolicy === 'Delete';
}

/**
 * True while the CR wants the finalizer but the API server does not have it yet. No topic may be
 * created then: a CR deleted in that window would leave its topics behind with nothing to clean up.
 */
export function topicsWaitForFinalizer(cbd: ChatbotDeployment): boolean {
  return needsTopicFinalizer(cbd) && !(cbd.metadata.finalizers ?? []).includes(TOPIC_FINALIZER);
}

export interface FinalizeDeps extends TopicsDeps {
  /** --topic-deletion-timeout-seconds in ms: how long deletion retries before leaving the topics behind. */
  deletionTimeoutMs?: number;
}

export interface FinalizeResult {
  /** true: remove the finalizer now. false: keep it and retry after requeueAfterMs. */
  done: boolean;
  deleted: string[];
  /** Declared topics this CR does not own: never deleted, whatever deletionPolicy says. */
  notOwned: string[];
  /** Owned topics given up on (broker or credentials gone past the bound); done is true. */
  leftBehind: string[];
  /** Set when deleting failed (retrying, or given up). */
  condition?: Condition;
  requeueAfterMs?: number;
}

/**
 * Deletes the topics this CR owns when deletionPolicy is Delete; Retain (or no Kafka) is done at once.
 * Only claims held by this CR are candidates (planDeletion), so a CR with no claims (it never
 * reached its broker) is done without contacting Kafka. Failures retry until the bound after
 * metadata.deletionTimestamp, then the finalizer is released and the topics are reported as left behind.
 */
export async function finalizeTopics(cbd: ChatbotDeployment, deps: FinalizeDeps): Promise<FinalizeResult> {
  const done = { done: true, deleted: [], notOwned: [], leftBehind: [] };
  if (!needsTopicFinalizer(cbd)) return done;
  const self = holderOf(cbd);
  const held = await ownershipCall('listing topic claims', () => deps.ownership.listHeldBy(self));
  const plan = planDeletion(cbd, held);
  if (plan.delete.length === 0) return { ...done, notOwned: plan.notOwned };
  const manager = managerFor(cbd, deps);
  try {
    const deleted = await manager.withAdmin(
      (admin) => deleteClaimed(manager, admin, plan.delete, deps.ownership),
      deps.signal,
    );
    return { done: true, deleted, notOwned: plan.notOwned, leftBehind: [] };
  } catch (err: unknown) {
    if (err instanceof TopicOwnershipError || err instanceof KafkaCallAbortedError) throw err;
    return failedDeletion(cbd, deps, err, plan);
  }
}

/**
 * Deletes the claimed topics on the cluster the admin client reaches, then their claims. A claim of
 * another Kafka cluster (bootstrapServers changed since) cannot be honoured: that fails the attempt.
 */
async function deleteClaimed(
  manager: TopicManager,
  admin: AdminCalls,
  claims: readonly TopicClaim[],
  store: TopicOwnership,
): Promise<string[]> {
  const clusterId = await manager.clusterId(admin);
  const elsewhere = claims.filter((c) => c.clusterId !== clusterId);
  const here = claims.filter((c) => c.clusterId === clusterId);
  const deleted = await manager.deleteTopics(
    admin,
    here.map((c) => c.topic),
  );
  for (const claim of here) await ownershipCall('releasing a topic claim', () => store.release(claim));
  if (elsewhere.length > 0) {
    throw new Error(
      `topics ${elsewhere.map((c) => c.topic).join(', ')} were created on Kafka cluster ` +
        `${elsewhere[0]?.clusterId ?? ''}, but bootstrapServers now reach cluster ${clusterId}`,
    );
  }
  return deleted;
}

function failedDeletion(
  cbd: ChatbotDeployment,
  deps: FinalizeDeps,
  err: unknown,
  plan: DeletionPlan,
): FinalizeResult {
  const unavailable = err instanceof KafkaUnavailableError;
  const reason = unavailable ? TopicsReason.KafkaUnavailable : TopicsReason.KafkaError;
  const message = withProblem(`deleting topics: ${errorMessage(err)}`, deps.connectionProblem);
  const cond = condition(TOPICS_READY, false, reason, message);
  const now = deps.now?.() ?? new Date();
  const timing = deletionTiming(
    cbd.metadata.deletionTimestamp,
    now,
    deps.deletionTimeoutMs ?? DEFAULT_TOPIC_DELETION_TIMEOUT_MS,
  );
  const topics = [...new Set(plan.delete.map((c) => c.topic))];
  if (timing.giveUp)
    return { done: true, deleted: [], notOwned: plan.notOwned, leftBehind: topics, condition: cond };
  return {
    done: false,
    deleted: [],
    notOwned: plan.notOwned,
    leftBehind: [],
    condition: cond,
    requeueAfterMs: timing.retryAfterMs,
  };
}
