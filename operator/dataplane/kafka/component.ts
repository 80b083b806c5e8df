/**
 * KafkaTopicsComponent: a fleet's Kafka topics (spec.messaging.kafka) as a FleetComponent (see
 * operator/controller/component.ts). It contributes KAFKA_* env for the bot pods, TopicsReady,
 * status.topics, and the topic finalizer for deletionPolicy Delete, whose `finalize` deletes the
 * topics the CR owns (topic claims, ./claims.ts) when the CR is deleted.
 *
 * The broker is outside the API server: it is talked to only when due (spec generation changed, a
 * retry's backoff elapsed, or the periodic re-check), otherwise the last result is repeated, so a
 * steady reconcile issues neither broker traffic nor Kubernetes writes. A broker outage becomes
 * TopicsReady=False/KafkaUnavailable; the bot Deployment is applied anyway.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type {
  ComponentContext,
  Contribution,
  FinalizeResult,
  FleetComponent,
} from '../../controller/component.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeEventRecorder } from '../../kube/events.js';
import type { EventRecorder } from '../../kube/events.js';
import { createKafkaAdminPoolMetrics } from '../../metrics.js';
import type { ChatbotDeployment, EnvVar } from '../../workload/types.js';
import { conditionInput, FleetStates, soonest, repeatable } from '../contribution.js';
import type { Timed } from '../contribution.js';
import { TOPICS_READY } from '../conditions.js';
import { KafkaAdminPool } from './admin-pool.js';
import { KubeTopicOwnership } from './claims.js';
import { kafkaConnection } from './connection-secret.js';
import type { CredentialsState } from './connection-secret.js';
import { topicDeletionEvents } from './deletion-events.js';
import { TopicDeletionReporter } from './deletion-report.js';
import { kafkaEnv } from './env.js';
import { kafkaAdminFactory } from './admin-client.js';
import {
  finalizeTopics,
  needsTopicFinalizer,
  reconcileTopics,
  TOPIC_FINALIZER,
  topicsWaitForFinalizer,
} from './reconcile.js';
import type { FinalizeResult as TopicsFinalizeResult, TopicsResult } from './reconcile.js';

/** Topics are re-checked on the broker this often even when nothing changed (drift detection). */
export const TOPICS_RECHECK_MS = 60_000;
/** While the topic finalizer is being stored, look again soon (its watch event usually comes first). */
const FINALIZER_WAIT_MS = 1000;
const EVENT_CONTROLLER = 'chatfleet.io/operator';
const silentLog = pino({ level: 'silent' });

/** The Secret read and the topic claims (create, apply, delete, list); KubeClient satisfies it. */
export type KafkaTopicsKube = Pick<KubeClient, 'get' | 'create' | 'list' | 'delete' | 'apply'>;

export interface KafkaTopicsOptions {
  /** Where topic claims live: the operator's own namespace (--topic-ownership-namespace). */
  topicOwnershipNamespace: string;
  /** --topic-deletion-timeout-seconds in ms (default 5 minutes). */
  topicDeletionTimeoutMs?: number;
  /**
   * Records the Events written outside a fleet's namespace (TopicsLeftBehind on topic claims,
   * ./deletion-report.ts); by default one writing through the component's client.
   */
  events?: EventRecorder;
  /** Where chatfleet_operator_kafka_admin_* are registered (the operator's registry). */
  registry?: Registry;
  /** Test seam: the shared Kafka admin clients; by default one pool per component. */
  kafkaAdminPool?: KafkaAdminPool;
}

interface KafkaFleetState extends CredentialsState {
  topics?: Timed<TopicsResult>;
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

export class KafkaTopicsComponent implements FleetComponent {
  readonly name = 'kafka-topics';
  readonly finalizer = TOPIC_FINALIZER;
  private readonly fleets = new FleetStates<KafkaFleetState>(() => ({}));
  private readonly ownership: KubeTopicOwnership;
  private readonly deletionReporter: TopicDeletionReporter;
  /** One connected admin client per broker set and credentials, shared by every CR (issue 14). */
  private readonly adminPool: KafkaAdminPool;

  constructor(
    private readonly kube: KafkaTopicsKube,
    private readonly options: KafkaTopicsOptions,
  ) {
    this.ownership = new KubeTopicOwnership(kube, options.topicOwnershipNamespace);
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
    const cbd = ctx.cbd;
    const topics = await this.topicsWhenDue(ctx, this.fleets.of(cbd));
    const requeueAfterMs = soonest([
      topics && topics.dueAt - ctx.now.getTime(),
      topicsWaitForFinalizer(cbd) ? FINALIZER_WAIT_MS : undefined,
    ]);
    return {
      // Same shape; the data plane types it with client-node's looser V1EnvVar.
      env: kafkaEnv(cbd) as EnvVar[],
      conditions: topics ? [conditionInput(topics.result.condition)] : [],
      status: topics ? { topics: topics.result.topicsStatus } : {},
      ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
      ...(needsTopicFinalizer(cbd) ? { finalizer: TOPIC_FINALIZER } : {}),
    };
  }

  async finalize({
    cbd,
    log,
    now,
    signal,
  }: {
    cbd: ChatbotDeployment;
    log: Logger;
    now: Date;
    signal?: AbortSignal;
  }): Promise<FinalizeResult> {
    const state = this.fleets.of(cbd);
    if (state.finalizedUid === cbd.metadata.uid) return { done: true };
    const wait = (state.deletionRetryAt ?? 0) - now.getTime();
    if (wait > 0) return { done: false, requeueAfterMs: wait };
    const timeoutMs = this.options.topicDeletionTimeoutMs;
    const r = await finalizeTopics(cbd, {
      ...(await kafkaConnection(this.kube, cbd, state, { deleting: true })),
      ownership: this.ownership,
      adminPool: this.adminPool,
      ...(signal ? { signal } : {}),
      now: () => now,
      ...(timeoutMs !== undefined ? { deletionTimeoutMs: timeoutMs } : {}),
    });
    await this.afterDeletionAttempt(cbd, state, r, { log, now });
    return {
      done: r.done,
      ...(r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : {}),
      events: topicDeletionEvents(r, timeoutMs),
    };
  }

  forget(key: string): void {
    this.fleets.forget(key);
  }

  /** Per-fleet state held now (one entry per fleet reconciled since it was last forgotten). */
  get fleetsTracked(): number {
    return this.fleets.size;
  }

  /** Logs and reports one topic-deletion attempt, and when the next one is due. */
  private async afterDeletionAttempt(
    cbd: ChatbotDeployment,
    state: KafkaFleetState,
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

  private async topicsWhenDue(
    ctx: ComponentContext,
    state: KafkaFleetState,
  ): Promise<Timed<TopicsResult> | undefined> {
    const cbd = ctx.cbd;
    const now = ctx.now.getTime();
    if (!cbd.spec.messaging?.kafka) {
      delete state.topics;
      return undefined;
    }
    // No topic before the finalizer that deletes it is stored: repeat what status says meanwhile.
    if (topicsWaitForFinalizer(cbd)) return waitingForFinalizer(cbd, now);
    const inputs = `${cbd.metadata.uid ?? ''}/${cbd.metadata.generation ?? 0}`;
    const last = state.topics;
    const repeated = repeatable(last, inputs, now);
    if (repeated) return repeated;
    const result = await reconcileTopics(cbd, {
      ...(await kafkaConnection(this.kube, cbd, state)),
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
}

/**
 * The last TopicsReady and status.topics, unchanged, while the finalizer is stored (one reconcile,
 * usually): no spurious transition, and no condition at all on a brand-new CR until the next pass.
 */
function waitingForFinalizer(cbd: ChatbotDeployment, now: number): Timed<TopicsResult> | undefined {
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
