import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type {
  ComponentCaches,
  ComponentContext,
  ComponentEvent,
  Contribution,
  FinalizeResult,
  FleetComponent,
  OwnedChild,
} from '../controller/component.js';
import type { KubeClient } from '../kube/client.js';
import { errorMessage } from '../kube/errors.js';
import { KubeEventRecorder } from '../kube/events.js';
import type { EventRecorder } from '../kube/events.js';
import { Resources, resourceFor } from '../kube/resources.js';
import type { ObjectCache } from '../controller/reconciler.js';
import type { ConditionInput } from '../workload/status.js';
import type { ChatbotDeployment, EnvVar, KubeObject } from '../workload/types.js';
import { ownerReference } from '../workload/labels.js';
import { createKafkaAdminPoolMetrics } from '../metrics.js';
import { KafkaAdminPool } from './kafka/admin-pool.js';
import { kafkaAdminFactory } from './kafka/manager.js';
import { resolveRedis } from './defaults.js';
import { redisSelector } from './labels.js';
import type { KafkaConnection } from './kafka/credentials.js';
import { TopicDeletionReporter } from './kafka/deletion-report.js';
import { RedisPasswordSecrets } from './redis-password.js';
import type { PasswordContribution } from './redis-password.js';
import { shardMemoryStatus, withShardMemory } from './redis/memory.js';
import { redundancyWarning } from './redis/validate.js';
import {
  DEFAULT_TOPIC_DELETION_TIMEOUT_MS,
  TOPICS_READY,
  clusterMembers,
  dataplaneEnv,
  desiredRedisObjects,
  finalizeTopics,
  kafkaConnectionFromSecret,
  KubeTopicOwnership,
  needsTopicFinalizer,
  PASSWORD_KEY,
  reconcileRedisCluster,
  reconcileTopics,
  redisNames,
  redisReadyCondition,
  TOPIC_FINALIZER,
  topicsWaitForFinalizer,
  toShardStatus,
  validateRedis,
} from './index.js';
import type {
  ClusterReconcileResult,
  Condition,
  DataplaneCbd,
  FinalizeResult as TopicsFinalizeResult,
  KafkaDeps,
  RedisShardStatus,
  TopicsResult,
} from './index.js';

/** Topics are re-checked on the broker this often even when nothing changed (drift detection). */
export const TOPICS_RECHECK_MS = 60_000;
/** Bounds for one Redis Cluster pass: pods that do not answer (kwok, crash) must not stall the reconcile. */
const CLUSTER_TIMEOUTS = { connectTimeoutMs: 1500, convergeTimeoutMs: 3000, migrateTimeoutMs: 5000 };
const DUE_SLACK_MS = 100;

/**
 * The reads, the one create, the prune deletes, and the topic claims (create, apply, delete) the data
 * plane needs; KubeClient satisfies it.
 */
export type DataplaneKube = Pick<KubeClient, 'get' | 'create' | 'list' | 'delete' | 'apply'>;

/** The informer caches the data plane reads its Redis objects from (never a GET or LIST per reconcile). */
export type DataplaneCaches = Pick<
  ComponentCaches,
  'statefulSets' | 'services' | 'podDisruptionBudgets' | 'pods'
> &
  Partial<Pick<ComponentCaches, 'secrets'>>;

export interface DataplaneOptions {
  caches: DataplaneCaches;
  /** Where topic claims live: the operator's own namespace (--topic-ownership-namespace). */
  topicOwnershipNamespace: string;
  /** --topic-deletion-timeout-seconds in ms (default 5 minutes). */
  topicDeletionTimeoutMs?: number;
  /**
   * Records the Events the data plane writes outside a fleet's namespace (TopicsLeftBehind on topic
   * claims, ./kafka/deletion-report.ts); by default one writing through the component's client.
   */
  events?: EventRecorder;
  /** Where chatfleet_operator_kafka_admin_* are registered (the operator's registry). */
  registry?: Registry;
  /** Test seam: the shared Kafka admin clients; by default one pool per component. */
  kafkaAdminPool?: KafkaAdminPool;
}

/** While the topic finalizer is being stored, look again soon (its watch event usually comes first). */
const FINALIZER_WAIT_MS = 1000;

/** Every kind managed Redis is made of, with its cache; all carry the redisSelector labels of their CR. */
function redisChildCaches(c: DataplaneCaches): Map<string, ObjectCache> {
  return new Map([
    [Resources.StatefulSet.kind, c.statefulSets],
    [Resources.Service.kind, c.services],
    [Resources.PodDisruptionBudget.kind, c.podDisruptionBudgets],
  ]);
}

interface Timed<T> {
  inputs: string;
  dueAt: number;
  result: T;
  /** Set by the pass that produced `result`; its side effects (roll deletes, Events) run once. */
  fresh?: boolean;
}

interface FleetState {
  topics?: Timed<TopicsResult>;
  cluster?: Timed<ClusterReconcileResult>;
  /** The wanted Redis object set last pruned against: prune again only when it changes. */
  prunedFor?: string;
  /** The Kafka credentials last read from spec.messaging.kafka.secretRef (see kafkaConnection). */
  kafkaCredentials?: { uid: string; ref: string; connection: KafkaConnection };
  /**
   * When the next topic-deletion attempt is due (ms). A namespace deletion enqueues the CR for every
   * child it deletes; each would otherwise be one more connection attempt to the broker.
   */
  deletionRetryAt?: number;
  /**
   * The CR uid whose topics were dealt with. The cache may still show the finalizer just released;
   * a second pass would find the claims gone and report the deleted topics as not owned.
   */
  finalizedUid?: string;
}

interface RedisContribution {
  children: OwnedChild[];
  conditions: ConditionInput[];
  status: Record<string, unknown>;
  requeueAfterMs?: number;
  /** children is the complete wanted set, so any other Redis object of the CR may go. */
  prunable: boolean;
  /** Cluster pass Events (failover, roll, lost shard). */
  events?: ComponentEvent[];
}

/**
 * The data plane as a FleetComponent (see operator/controller/component.ts and the facade
 * operator/dataplane/index.ts): managed Redis objects as children, the generated password Secret
 * (created once, never re-applied), REDIS_* and KAFKA_* env for the bot pods, RedisReady and
 * TopicsReady, status.redis and status.topics, and the topic finalizer for deletionPolicy Delete.
 *
 * Kafka and Redis Cluster are outside the API server: they are talked to only when due (spec
 * generation changed, a retry's backoff elapsed, or the periodic re-check), otherwise the last
 * result is repeated, so a steady reconcile issues neither broker traffic nor Kubernetes writes.
 * A broker outage becomes TopicsReady=False/KafkaUnavailable; the bot Deployment is applied anyway.
 */
export class DataplaneComponent implements FleetComponent {
  readonly name = 'dataplane';
  readonly finalizer = TOPIC_FINALIZER;
  private readonly fleets = new Map<string, FleetState>();
  private readonly ownership: KubeTopicOwnership;
  private readonly childCaches: Map<string, ObjectCache>;
  private readonly deletionReporter: TopicDeletionReporter;
  private readonly passwords: RedisPasswordSecrets;
  /** One connected admin client per broker set and credentials, shared by every CR (issue 14). */
  private readonly adminPool: KafkaAdminPool;

  constructor(
    private readonly kube: DataplaneKube,
    private readonly options: DataplaneOptions,
  ) {
    this.ownership = new KubeTopicOwnership(kube, options.topicOwnershipNamespace);
    this.childCaches = redisChildCaches(options.caches);
    this.passwords = new RedisPasswordSecrets(kube, options.caches);
    this.deletionReporter = new TopicDeletionReporter({
      registry: options.registry ?? new Registry(),
      events: options.events ?? new KubeEventRecorder(kube, EVENT_CONTROLLER, EVENT_CONTROLLER, silentLog),
      ownership: this.ownership,
      ownershipNamespace: options.topicOwnershipNamespace,
    });
    this.adminPool =
      options.kafkaAdminPool ??
      new KafkaAdminPool({
        createAdmin: kafkaAdminFactory(),
        ...(options.registry ? { metrics: createKafkaAdminPoolMetrics(options.registry) } : {}),
      });
  }

  /** Shutdown or leadership lost: disconnect every Kafka admin client. */
  async close(): Promise<void> {
    await this.adminPool.close();
  }

  async reconcile(ctx: ComponentContext): Promise<Contribution> {
    // The password Secret first: the Redis pods and the bot pods read it.
    const password = usesManagedRedis(asCbd(ctx.cr)) ? await this.passwords.reconcile(ctx) : undefined;
    const contribution = await this.reconcileParts(ctx);
    return password ? withPassword(contribution, password) : contribution;
  }

  private async reconcileParts(ctx: ComponentContext): Promise<Contribution> {
    const cr = ctx.cr;
    const cbd = asCbd(cr);
    const state = this.stateOf(cr);
    const redis = await this.reconcileRedis(ctx, cbd, state);
    // A reconcile that cannot prune may apply objects (e.g. shards of a cluster that never got
    // Ready): forget the last pruned set, so the next prunable reconcile lists again.
    if (!redis.prunable) delete state.prunedFor;
    const pruned = redis.prunable ? await this.pruneRedis(ctx, state, redis.children) : [];
    const events = [...(redis.events ?? []), ...(pruned.length > 0 ? [prunedEvent(pruned)] : [])];
    const topics = await this.topicsWhenDue(cbd, state, ctx);
    const noRedundancy = redundancyWarning(cbd);
    const conditions: ConditionInput[] = [
      ...redis.conditions,
      ...(noRedundancy ? [conditionInput(noRedundancy)] : []),
    ];
    const status: Record<string, unknown> = { ...redis.status };
    if (topics) {
      conditions.push(conditionInput(topics.result.condition));
      status.topics = topics.result.topicsStatus;
    }
    return {
      children: redis.children,
      // Same shape; the data plane types it with client-node's looser V1EnvVar.
      env: dataplaneEnv(cbd) as EnvVar[],
      conditions,
      status,
      requeueAfterMs: soonest([
        redis.requeueAfterMs,
        topics && topics.dueAt - ctx.now.getTime(),
        topicsWaitForFinalizer(cbd) ? FINALIZER_WAIT_MS : undefined,
      ]),
      ...(needsTopicFinalizer(cbd) ? { finalizer: TOPIC_FINALIZER } : {}),
      ...(events.length > 0 ? { events } : {}),
    };
  }

  async finalize({
    cr,
    log,
    now,
    signal,
  }: {
    cr: ChatbotDeployment;
    log: Logger;
    now: Date;
    signal?: AbortSignal;
  }): Promise<FinalizeResult> {
    const cbd = asCbd(cr);
    const state = this.stateOf(cr);
    if (state.finalizedUid === cr.metadata.uid) return { done: true };
    const wait = (state.deletionRetryAt ?? 0) - now.getTime();
    if (wait > 0) return { done: false, requeueAfterMs: wait };
    const r = await finalizeTopics(cbd, {
      ...(await this.kafkaConnection(cbd, state, { deleting: true })),
      ownership: this.ownership,
      adminPool: this.adminPool,
      ...(signal ? { signal } : {}),
      now: () => now,
      ...(this.options.topicDeletionTimeoutMs !== undefined
        ? { deletionTimeoutMs: this.options.topicDeletionTimeoutMs }
        : {}),
    });
    await this.afterDeletionAttempt(cbd, state, r, { log, now });
    return {
      done: r.done,
      ...(r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : {}),
      events: topicDeletionEvents(r, this.options.topicDeletionTimeoutMs),
    };
  }

  forget(key: string): void {
    this.fleets.delete(key);
    this.passwords.forget(key);
  }

  /** Logs and reports one topic-deletion attempt, and when the next one is due. */
  private async afterDeletionAttempt(
    cbd: DataplaneCbd,
    state: FleetState,
    r: TopicsFinalizeResult,
    { log, now }: { log: Logger; now: Date },
  ): Promise<void> {
    if (!r.done) {
      log.warn({ reason: r.condition?.message }, 'could not delete Kafka topics yet');
      state.deletionRetryAt = now.getTime() + (r.requeueAfterMs ?? 5000);
      return;
    }
    if (r.leftBehind.length > 0) {
      log.warn({ leftBehind: r.leftBehind, reason: r.condition?.message }, 'gave up deleting Kafka topics');
    } else log.info({ deleted: r.deleted, notOwned: r.notOwned }, 'deleted Kafka topics');
    await this.deletionReporter.finished(cbd, r, log);
    delete state.deletionRetryAt;
    if (cbd.metadata.uid !== undefined) state.finalizedUid = cbd.metadata.uid;
  }

  /** Per-fleet state held now (one entry per fleet reconciled since it was last forgotten). */
  get fleetsTracked(): number {
    return this.fleets.size;
  }

  /** The Redis objects as children, each read from the informer cache of its kind. */
  private childrenOf(objects: readonly object[]): OwnedChild[] {
    return objects.map((o) => {
      const object = o as KubeObject;
      const resource = resourceFor(object.apiVersion, object.kind);
      const cache = this.childCaches.get(resource.kind);
      return { resource, object, ...(cache ? { cache } : {}) };
    });
  }

  private stateOf(cr: ChatbotDeployment): FleetState {
    const key = `${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`;
    let state = this.fleets.get(key);
    if (!state) {
      state = {};
      this.fleets.set(key, state);
    }
    return state;
  }

  private async reconcileRedis(
    ctx: ComponentContext,
    cbd: DataplaneCbd,
    state: FleetState,
  ): Promise<RedisContribution> {
    const blocking = validateRedis(cbd);
    if (blocking)
      return { children: [], conditions: [conditionInput(blocking)], status: {}, prunable: false };
    const spec = resolveRedis(cbd);
    if (spec.mode === 'external') {
      const cond = redisReadyCondition(cbd, 0);
      return { children: [], conditions: cond ? [conditionInput(cond)] : [], status: {}, prunable: true };
    }
    if (spec.topology === 'cluster') return this.managedCluster(ctx, cbd, state);
    const ready = this.readyReplicas(ctx.cr);
    const cond = redisReadyCondition(cbd, ready);
    const name = redisNames.statefulSet(cbd.metadata.name);
    return {
      children: this.childrenOf(desiredRedisObjects(cbd, ownerReference(ctx.cr))),
      conditions: cond ? [conditionInput(cond)] : [],
      status: { redis: { shards: [standaloneShard(name, ready)] } },
      // No readiness polling: the StatefulSet informer enqueues the fleet when it changes.
      prunable: true,
    };
  }

  private async managedCluster(
    ctx: ComponentContext,
    cbd: DataplaneCbd,
    state: FleetState,
  ): Promise<RedisContribution> {
    const cluster = await this.clusterWhenDue(ctx, cbd, state);
    const events = await this.applyClusterSteps(ctx, cluster);
    const shards = cluster ? observedShards(cbd, cluster.result) : undefined;
    // desiredRedisObjects reads exactly what is written to status.redis.shards (one shape).
    const withShards = shards ? withStatusShards(cbd, shards) : cbd;
    return {
      children: this.childrenOf(desiredRedisObjects(withShards, ownerReference(ctx.cr))),
      conditions: cluster ? [conditionInput(cluster.result.condition)] : [],
      status: shards ? { redis: { shards } } : {},
      requeueAfterMs: cluster ? cluster.dueAt - ctx.now.getTime() : 5000,
      // A drained shard leaves the wanted set only through a cluster pass that saw every slot
      // covered elsewhere; anything less certain keeps every StatefulSet.
      prunable: cluster?.result.condition.status === 'True',
      events,
    };
  }

  /**
   * Deletes the Redis objects of this CR that the spec no longer wants: all of them after a
   * switch to external mode, the StatefulSet and PDB of a shard that a scale-in has drained.
   * Only objects labelled as this CR's Redis AND controlled by this CR's uid are candidates, so a
   * user's own objects are never touched. It reads the informer caches, and only when the wanted
   * set changed (and once per fleet after the operator starts), so a steady state issues no reads
   * and no writes.
   * The generated password Secret stays until the CR is deleted: switching back must not
   * rotate the password under running clients.
   */
  private async pruneRedis(
    ctx: ComponentContext,
    state: FleetState,
    wanted: readonly OwnedChild[],
  ): Promise<string[]> {
    const wantedKeys = new Set(wanted.map((c) => `${c.resource.kind}/${c.object.metadata.name ?? ''}`));
    const fingerprint = `${ctx.cr.metadata.uid ?? ''}|${[...wantedKeys].sort().join(',')}`;
    if (state.prunedFor === fingerprint) return [];
    const ns = ctx.cr.metadata.namespace ?? '';
    const selector = redisSelector(ctx.cr.metadata.name ?? '');
    const deleted: string[] = [];
    for (const resource of [Resources.StatefulSet, Resources.Service, Resources.PodDisruptionBudget]) {
      const live = labelled(this.childCaches.get(resource.kind)?.list(ns) ?? [], selector);
      const unwanted = live.filter(
        (obj) => !wantedKeys.has(`${resource.kind}/${obj.metadata.name ?? ''}`) && controlledBy(obj, ctx.cr),
      );
      for (const obj of unwanted) {
        const name = obj.metadata.name ?? '';
        if (await this.kube.delete(resource, ns, name)) deleted.push(`${resource.kind} ${name}`);
      }
    }
    if (deleted.length > 0) ctx.log.info({ deleted }, 'pruned Redis objects the spec no longer wants');
    state.prunedFor = fingerprint;
    return deleted;
  }

  /**
   * The Redis password, read when a cluster pass is due (never cached: deleting the Secret is how
   * it is rotated, see docs/dataplane.md).
   */
  private async readPassword(cbd: DataplaneCbd): Promise<string | undefined> {
    const secret = await this.kube.get<KubeObject & { data?: Record<string, string> }>(
      Resources.Secret,
      cbd.metadata.namespace,
      redisNames.passwordSecret(cbd.metadata.name),
    );
    const raw = secret?.data?.[PASSWORD_KEY];
    return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
  }

  private readyReplicas(cr: ChatbotDeployment): number {
    const sts = this.options.caches.statefulSets.get(
      cr.metadata.namespace ?? '',
      redisNames.statefulSet(cr.metadata.name ?? ''),
    );
    return (sts?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  }

  private async clusterWhenDue(
    ctx: ComponentContext,
    cbd: DataplaneCbd,
    state: FleetState,
  ): Promise<Timed<ClusterReconcileResult> | undefined> {
    const now = ctx.now.getTime();
    // Pods and StatefulSets come from the caches (both informers select managed-by, which Redis
    // objects carry). Members must be pods of the CR's own StatefulSets, not anything carrying the labels.
    const selector = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': cbd.metadata.name };
    const { pods, statefulSets } = this.options.caches;
    const sets = labelled(statefulSets.list(cbd.metadata.namespace), selector);
    const members = clusterMembers(
      cbd.metadata.uid,
      labelled(pods.list(cbd.metadata.namespace), selector),
      sets,
    );
    // A member that comes, goes, moves, restarts in place or becomes outdated makes a pass due at
    // once (failover, roll).
    const fingerprint = members
      .map((m) => `${m.name ?? ''}@${m.host}#${m.restarts ?? 0}${m.outdated ? '*' : ''}`)
      .sort();
    const inputs = `${cbd.metadata.uid ?? ''}/${cbd.metadata.generation ?? 0}/${fingerprint.join(',')}`;
    if (state.cluster && state.cluster.inputs === inputs && now + DUE_SLACK_MS < state.cluster.dueAt) {
      return state.cluster;
    }
    if (members.length === 0) return undefined;
    const password = await this.readPassword(cbd);
    if (password === undefined) return undefined;
    const result = await withShardMemory(
      await clusterPass(cbd, members, password, ctx.log),
      members,
      password,
    );
    if (!result) return undefined;
    if (result.actions.length > 0) ctx.log.info({ actions: result.actions }, 'Redis Cluster');
    state.cluster = { inputs, dueAt: now + result.requeueAfterMs, result, fresh: true };
    return state.cluster;
  }

  /**
   * The pods a fresh cluster pass's roll step replaces (StatefulSet OnDelete recreates them), and
   * the pass's Events. A repeated (cached) result does neither again.
   */
  private async applyClusterSteps(
    ctx: ComponentContext,
    cluster: Timed<ClusterReconcileResult> | undefined,
  ): Promise<ComponentEvent[]> {
    if (!cluster?.fresh) return [];
    cluster.fresh = false;
    const ns = ctx.cr.metadata.namespace ?? '';
    for (const pod of cluster.result.deletePods) {
      await this.kube.delete(Resources.Pod, ns, pod);
      ctx.log.info({ pod }, 'deleted a Redis pod to update it (OnDelete roll)');
    }
    return cluster.result.events.map((e) => ({ ...e, action: 'Reconcile' }));
  }

  private async topicsWhenDue(
    cbd: DataplaneCbd,
    state: FleetState,
    ctx: ComponentContext,
  ): Promise<Timed<TopicsResult> | undefined> {
    const now = ctx.now.getTime();
    if (!cbd.spec.messaging?.kafka) {
      delete state.topics;
      return undefined;
    }
    // No topic before the finalizer that deletes it is stored: repeat what status says meanwhile.
    if (topicsWaitForFinalizer(cbd)) return waitingForFinalizer(cbd, now);
    const inputs = `${cbd.metadata.uid ?? ''}/${cbd.metadata.generation ?? 0}`;
    const last = state.topics;
    if (last && last.inputs === inputs && now + DUE_SLACK_MS < last.dueAt) return last;
    const result = await reconcileTopics(cbd, {
      ...(await this.kafkaConnection(cbd, state)),
      ownership: this.ownership,
      adminPool: this.adminPool,
      signal: ctx.signal,
      // A new spec generation (or the first pass since the operator started) re-reads every claim.
      freshClaims: last?.inputs !== inputs,
    });
    if (!result) return undefined;
    if (result.condition.status !== 'True') {
      ctx.log.warn(
        { reason: result.condition.reason, message: result.condition.message },
        'topics not ready',
      );
    }
    state.topics = { inputs, dueAt: now + Math.min(result.requeueAfterMs, TOPICS_RECHECK_MS), result };
    return state.topics;
  }

  /**
   * The Kafka admin connection from spec.messaging.kafka.secretRef, read by name (no Secret watch). A
   * missing Secret is said in every failure message.
   *
   * A namespace deletion deletes the Secret in the same pass as it marks the CR deleted, so the Secret
   * is usually gone when the finalizer runs. Deleting topics (`deleting`) then uses the credentials
   * last read from it for this CR uid (kept in memory only; the topics were created with them).
   * Without them (e.g. the operator restarted meanwhile) deletion retries until the bound and leaves
   * the topics behind. Reconciling a live CR never does this: deleting the Secret revokes access.
   */
  private async kafkaConnection(
    cbd: DataplaneCbd,
    state: FleetState,
    opts: { deleting?: boolean } = {},
  ): Promise<Pick<KafkaDeps, 'connection' | 'connectionProblem'>> {
    const ref = cbd.spec.messaging?.kafka?.secretRef?.name;
    if (!ref) return {};
    const secret = await this.kube.get<KubeObject & { data?: Record<string, string> }>(
      Resources.Secret,
      cbd.metadata.namespace,
      ref,
    );
    const uid = cbd.metadata.uid ?? '';
    if (secret) {
      const connection = kafkaConnectionFromSecret(secret.data);
      state.kafkaCredentials = { uid, ref, connection };
      return { connection };
    }
    const known = state.kafkaCredentials;
    if (opts.deleting && known?.uid === uid && known.ref === ref) {
      return {
        connection: known.connection,
        connectionProblem: `the credentials Secret ${ref} does not exist; used the credentials last read from it`,
      };
    }
    return {
      connection: kafkaConnectionFromSecret(undefined),
      connectionProblem: `the credentials Secret ${ref} does not exist`,
    };
  }
}

/** Managed Redis (standalone or cluster) with a valid spec: the operator owns its password Secret. */
function usesManagedRedis(cbd: DataplaneCbd): boolean {
  return !validateRedis(cbd) && resolveRedis(cbd).mode !== 'external';
}

function withPassword(c: Contribution, p: PasswordContribution): Contribution {
  const events = [...p.events, ...(c.events ?? [])];
  return {
    ...c,
    podAnnotations: { ...c.podAnnotations, ...p.podAnnotations },
    ...(events.length > 0 ? { events } : {}),
  };
}

const EVENT_CONTROLLER = 'chatfleet.io/operator';
const silentLog = pino({ level: 'silent' });

function controlledBy(obj: KubeObject, cr: ChatbotDeployment): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === cr.metadata.uid);
}

/**
 * The last TopicsReady and status.topics, unchanged, while the finalizer is stored (one reconcile,
 * usually): no spurious transition, and no condition at all on a brand-new CR until the next pass.
 */
function waitingForFinalizer(cbd: DataplaneCbd, now: number): Timed<TopicsResult> | undefined {
  const previous = cbd.status?.conditions?.find((c) => c.type === TOPICS_READY);
  if (!previous) return undefined;
  const result: TopicsResult = {
    condition: previous,
    topicsStatus: cbd.status?.topics ?? [],
    env: [],
    requeueAfterMs: FINALIZER_WAIT_MS,
  };
  return { inputs: '', dueAt: now + FINALIZER_WAIT_MS, result };
}

/** What deleting the CR did to its topics, as Events on the CR. */
function topicDeletionEvents(r: TopicsFinalizeResult, timeoutMs: number | undefined): ComponentEvent[] {
  const events: ComponentEvent[] = [];
  if (r.deleted.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'TopicsDeleted',
      action: 'Delete',
      note: `deleted Kafka topics ${r.deleted.join(', ')}`,
    });
  }
  if (r.done && r.notOwned.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'TopicsRetained',
      action: 'Delete',
      note:
        `kept Kafka topics ${r.notOwned.join(', ')}: not created or adopted by this ChatbotDeployment, ` +
        'so deletionPolicy Delete does not apply to them',
    });
  }
  if (r.leftBehind.length > 0) {
    const bound = Math.round((timeoutMs ?? DEFAULT_TOPIC_DELETION_TIMEOUT_MS) / 1000);
    events.push({
      type: 'Warning',
      reason: 'TopicsLeftBehind',
      action: 'Delete',
      note:
        `gave up deleting Kafka topics ${r.leftBehind.join(', ')} after ${bound} s and released the ` +
        `finalizer; they stay on the broker, delete them by hand: ${r.condition?.message ?? 'unknown error'}`,
    });
  }
  return events;
}

function prunedEvent(deleted: readonly string[]): ComponentEvent {
  return { type: 'Normal', reason: 'RedisPruned', action: 'Delete', note: `deleted ${deleted.join(', ')}` };
}

function asCbd(cr: ChatbotDeployment): DataplaneCbd {
  return cr as unknown as DataplaneCbd;
}

/** Objects carrying every label of `selector`. */
function labelled(objects: readonly KubeObject[], selector: Record<string, string>): KubeObject[] {
  return objects.filter((o) => Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v));
}

function conditionInput(c: Condition): ConditionInput {
  return { type: c.type, status: c.status, reason: c.reason, message: c.message };
}

function soonest(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(0, Math.min(...defined)) : undefined;
}

/** The CR as the cluster logic reads it: with the shard state just observed. */
function withStatusShards(cbd: DataplaneCbd, shards: RedisShardStatus[]): DataplaneCbd {
  return { ...cbd, status: { ...cbd.status, redis: { shards } } };
}

/**
 * status.redis.shards after a cluster pass, in the CRD shape. A pass that observed no shards (the
 * cluster could not be reached) keeps the last written status: an empty list would let
 * effectiveShardCount prune StatefulSets of shards that are still being drained.
 */
function observedShards(cbd: DataplaneCbd, result: ClusterReconcileResult): RedisShardStatus[] {
  if (result.shards.length === 0) return cbd.status?.redis?.shards ?? [];
  return result.shards.map((s) => ({ ...toShardStatus(s), ...shardMemoryStatus(s) }));
}

function standaloneShard(statefulSet: string, ready: number): RedisShardStatus {
  return { index: 0, primary: `${statefulSet}-0`, replicas: 0, ready: ready >= 1 };
}

/** One bounded Redis Cluster pass; an unexpected failure is RedisReady=False, never a failed reconcile. */
async function clusterPass(
  cbd: DataplaneCbd,
  members: Parameters<typeof reconcileRedisCluster>[1],
  password: string,
  log: Logger,
): Promise<ClusterReconcileResult | undefined> {
  try {
    return await reconcileRedisCluster(cbd, members, { password, ...CLUSTER_TIMEOUTS });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'Redis Cluster pass failed');
    return {
      condition: {
        type: 'RedisReady',
        status: 'False',
        reason: 'RedisUnavailable',
        message: errorMessage(err),
      },
      shards: [], // observed nothing: observedShards keeps the last written status
      actions: [],
      requeueAfterMs: 10_000,
      events: [],
      deletePods: [],
    };
  }
}
