/**
 * TopicManager: observes and applies topic plans through the kafkajs admin client.
 * All decisions live in ./plan.ts; this file only talks to the broker.
 *
 * kafkajs 2.2.4 negotiates API versions with the broker (ApiVersions), so it works against
 * Kafka 4.x for the admin requests used here (see docs/dataplane.md for the verified list).
 */
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import type { Admin, ConfigEntries, ITopicMetadata, SASLOptions } from 'kafkajs';
import { describeKafkaAuthFailure } from '../../../bot-runtime/events/kafka-connection.js';
import { endLease, KafkaAdminPool } from './admin-pool.js';
import { brokerSet } from './admin-pool-policy.js';
import type { AdminLease, AdminTarget } from './admin-pool.js';
import { boundedCall, throwIfAborted } from './bounded-call.js';
import type { CallBounds } from './bounded-call.js';
import type { KafkaConnection } from './credentials.js';
import { kafkaAdminFactory } from './admin-client.js';
import type { KafkaClientOptions } from './admin-client.js';
import { errorMessage } from '../../kube/errors.js';
import {
  hasProtocolErrorType,
  isKafkaUnavailable,
  KafkaCallAbortedError,
  KafkaUnavailableError,
  TopicOwnershipError,
} from './errors.js';
import type { ObservedTopic, TopicAction, TopicPlan } from './plan.js';

// kafkajs is CommonJS and builds its exports with a spread, which Node's ESM named-export
// detection cannot see (ConfigResourceTypes, ConfigSource): take them from the default export.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** Default bound of one admin call, connect included. */
export const DEFAULT_ADMIN_CALL_TIMEOUT_MS = 10_000;
/** Default bound of one admin session (every call of one reconcile or deletion pass together). */
export const DEFAULT_ADMIN_SESSION_TIMEOUT_MS = 30_000;

export type { KafkaClientOptions, KafkaLogger } from './admin-client.js';

export interface TopicManagerOptions extends KafkaClientOptions {
  brokers: string[];
  connection?: KafkaConnection;
  /** Shared clients (the operator's); without one, each withAdmin connects and disconnects its own. */
  pool?: KafkaAdminPool;
  /** The most one admin call may wait (connect included). */
  callTimeoutMs?: number;
  /** The most one withAdmin session may take in all. */
  sessionTimeoutMs?: number;
}

/** The admin requests the topic manager makes; each one is bounded by withAdmin (see boundedAdmin). */
export type AdminCalls = Pick<
  Admin,
  | 'describeCluster'
  | 'listTopics'
  | 'fetchTopicMetadata'
  | 'describeConfigs'
  | 'createTopics'
  | 'createPartitions'
  | 'alterConfigs'
  | 'deleteTopics'
>;

export interface ApplyResult {
  /** Actions the broker refused, by topic. */
  failures: Map<string, string>;
  applied: TopicAction[];
  /**
   * Creates the broker answered with TOPIC_ALREADY_EXISTS: someone else created the topic after it
   * was observed absent. It is not ours (see ./ownership.ts).
   */
  alreadyExisted: string[];
}

/** Ends a failed session's lease: a hung client is disconnected now, a broken one leaves the pool. */
function endTopicsLease(lease: AdminLease, err: unknown): void {
  if (err instanceof TopicOwnershipError) lease.release();
  else endLease(lease, err);
}

/**
 * Claims fail on the API server, not Kafka; deadline, abort and unavailable errors already say which
 * brokers. A refused login names the user and mechanism (never the password), not "unreachable".
 */
function translate(err: unknown, brokers: string, sasl: SASLOptions | undefined): Error {
  if (
    err instanceof TopicOwnershipError ||
    err instanceof KafkaUnavailableError ||
    err instanceof KafkaCallAbortedError
  ) {
    return err;
  }
  const refused = describeKafkaAuthFailure(err, sasl);
  if (refused) return new KafkaUnavailableError(`Kafka brokers ${brokers}: ${refused}`, { cause: err });
  if (isKafkaUnavailable(err)) {
    return new KafkaUnavailableError(`Kafka brokers ${brokers} unreachable: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return new Error(`Kafka admin request failed: ${errorMessage(err)}`, { cause: err });
}

/** Every request of `admin` raced against the session's bounds. */
function boundedAdmin(admin: AdminCalls, bounds: CallBounds): AdminCalls {
  const run = <T>(what: string, call: () => Promise<T>): Promise<T> => boundedCall(what, bounds, call);
  return {
    describeCluster: () => run('describeCluster', () => admin.describeCluster()),
    listTopics: () => run('listTopics', () => admin.listTopics()),
    fetchTopicMetadata: (o) => run('fetchTopicMetadata', () => admin.fetchTopicMetadata(o)),
    describeConfigs: (o) => run('describeConfigs', () => admin.describeConfigs(o)),
    createTopics: (o) => run('createTopics', () => admin.createTopics(o)),
    createPartitions: (o) => run('createPartitions', () => admin.createPartitions(o)),
    alterConfigs: (o) => run('alterConfigs', () => admin.alterConfigs(o)),
    deleteTopics: (o) => run('deleteTopics', () => admin.deleteTopics(o)),
  };
}

export class TopicManager {
  constructor(private readonly opts: TopicManagerOptions) {}

  /**
   * Runs fn with a connected admin client from the pool. Every call (connect included) waits at
   * most callTimeoutMs, all of them together sessionTimeoutMs, and none outlives `signal`. A hung
   * or aborted client is discarded from the pool (a hung one disconnected at once), a failed one
   * too; failures become KafkaUnavailableError naming the broker set.
   */
  async withAdmin<T>(fn: (admin: AdminCalls) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const pool =
      this.opts.pool ?? new KafkaAdminPool({ createAdmin: kafkaAdminFactory(this.opts), sweepEveryMs: 0 });
    const now = (): number => performance.now();
    const bounds: CallBounds = {
      brokers: '',
      callTimeoutMs: this.opts.callTimeoutMs ?? DEFAULT_ADMIN_CALL_TIMEOUT_MS,
      deadlineAt: now() + (this.opts.sessionTimeoutMs ?? DEFAULT_ADMIN_SESSION_TIMEOUT_MS),
      signal,
      now,
    };
    const target: AdminTarget = { brokers: this.opts.brokers, connection: this.opts.connection };
    let lease: AdminLease | undefined;
    try {
      throwIfAborted('connect', bounds); // a cancelled reconcile opens no client
      lease = pool.acquire(target);
      bounds.brokers = lease.brokers;
      const connected = lease.connected;
      await boundedCall('connect', bounds, () => connected);
      const result = await fn(boundedAdmin(lease.admin, bounds));
      lease.release();
      return result;
    } catch (err: unknown) {
      if (lease) endTopicsLease(lease, err);
      throw translate(err, bounds.brokers || brokerSet(this.opts.brokers), this.opts.connection?.sasl);
    } finally {
      if (!this.opts.pool) await pool.close();
    }
  }

  /**
   * The Kafka cluster id (DescribeCluster): the identity topic claims are keyed by. A broker that
   * reports none (protocol older than Metadata v2) is identified by its sorted bootstrap list.
   */
  async clusterId(admin: AdminCalls): Promise<string> {
    const { clusterId } = await admin.describeCluster();
    return clusterId || `bootstrap:${[...this.opts.brokers].sort().join(',')}`;
  }

  /** Which of the named topics exist (are listed) on the broker. */
  async listed(admin: AdminCalls, names: readonly string[]): Promise<Set<string>> {
    const existing = new Set(await admin.listTopics());
    return new Set(names.filter((n) => existing.has(n)));
  }

  /**
   * Observed state of the named topics; absent topics are simply not in the map. Configs are read
   * only for `configsOf` (the topics the CR owns): a topic of someone else is not ours to inspect,
   * and an ACL'd cluster may well refuse DescribeConfigs on it.
   */
  async observe(
    admin: AdminCalls,
    names: readonly string[],
    configsOf: readonly string[] = names,
  ): Promise<Map<string, ObservedTopic>> {
    const present = [...(await this.listed(admin, names))];
    const observed = new Map<string, ObservedTopic>();
    if (present.length === 0) return observed;
    const withConfigs = present.filter((n) => configsOf.includes(n));
    const [metadata, configs] = await Promise.all([
      admin.fetchTopicMetadata({ topics: present }),
      withConfigs.length === 0
        ? { resources: [] }
        : admin.describeConfigs({
            resources: withConfigs.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
            includeSynonyms: false,
          }),
    ]);
    const configByTopic = new Map(
      configs.resources.map((r) => [r.resourceName, topicOverrides(r.configEntries)]),
    );
    for (const topic of metadata.topics)
      observed.set(topic.name, toObserved(topic, configByTopic.get(topic.name) ?? {}));
    return observed;
  }

  /** Applies every action independently, so one refused topic does not block the others. */
  async apply(admin: AdminCalls, plan: TopicPlan): Promise<ApplyResult> {
    const result: ApplyResult = { failures: new Map(), applied: [], alreadyExisted: [] };
    if (plan.actions.length === 0) return result;
    const brokers = (await admin.describeCluster()).brokers.length;
    for (const action of plan.actions) {
      try {
        if (await this.applyAction(admin, action, brokers)) result.applied.push(action);
        else result.alreadyExisted.push(action.topic);
      } catch (err: unknown) {
        if (isKafkaUnavailable(err) || err instanceof KafkaCallAbortedError) throw err;
        result.failures.set(action.topic, `${action.kind} refused by the broker: ${errorMessage(err)}`);
      }
    }
    return result;
  }

  /** false only for a create that found the topic already there (kafkajs resolves false then). */
  private async applyAction(admin: AdminCalls, action: TopicAction, brokers: number): Promise<boolean> {
    switch (action.kind) {
      case 'create':
        return admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: action.topic,
              numPartitions: action.partitions,
              replicationFactor: action.replicationFactor ?? Math.min(3, Math.max(1, brokers)),
              configEntries: Object.entries(action.config).map(([name, value]) => ({ name, value })),
            },
          ],
        });
      case 'increasePartitions':
        await admin.createPartitions({ topicPartitions: [{ topic: action.topic, count: action.to }] });
        return true;
      case 'alterConfig':
        // AlterConfigs replaces the topic's whole override set, which is exactly the declarative
        // semantics we want: overrides not in the spec are drift and get reverted (like Strimzi).
        // Plans only ever hold topics the CR owns (./ownership.ts): nobody else's overrides go.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: action.topic,
              configEntries: Object.entries(action.config).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        return true;
    }
  }

  /** Deletes the topics; topics that are already gone count as deleted. */
  async deleteTopics(admin: AdminCalls, names: readonly string[]): Promise<string[]> {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    if (present.length === 0) return [];
    try {
      await admin.deleteTopics({ topics: [...present] });
    } catch (err: unknown) {
      // Deleted concurrently between listTopics and deleteTopics: that is success.
      if (!hasProtocolErrorType(err, 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
    }
    return present;
  }
}

function topicOverrides(entries: readonly ConfigEntries[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const e of entries) {
    const isOverride =
      e.configSource === undefined ? !e.isDefault : e.configSource === ConfigSource.TOPIC_CONFIG;
    if (isOverride && !e.isSensitive) overrides[e.configName] = e.configValue;
  }
  return overrides;
}

function toObserved(topic: ITopicMetadata, config: Record<string, string>): ObservedTopic {
  return {
    name: topic.name,
    partitions: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    config,
  };
}
