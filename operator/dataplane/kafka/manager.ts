/**
 * TopicManager: observes and applies topic plans through the kafkajs admin client.
 * All decisions live in ./plan.ts; this file only talks to the broker.
 *
 * kafkajs 2.2.4 negotiates API versions with the broker (ApiVersions), so it works against
 * Kafka 4.x for the admin requests used here (see docs/dataplane.md for the verified list).
 */
import kafkajs from 'kafkajs';
import type { Admin, ConfigEntries, ITopicMetadata, LogEntry } from 'kafkajs';
import type { KafkaConnection } from './credentials.js';
import {
  errorMessage,
  hasProtocolErrorType,
  isKafkaUnavailable,
  KafkaUnavailableError,
  TopicOwnershipError,
} from './errors.js';
import type { ObservedTopic, TopicAction, TopicPlan } from './plan.js';

// kafkajs is CommonJS and builds its exports with a spread, which Node's ESM named-export
// detection cannot see (ConfigResourceTypes, ConfigSource): take them from the default export.
const { ConfigResourceTypes, ConfigSource, Kafka, logLevel } = kafkajs;

export interface KafkaLogger {
  debug(obj: object, msg: string): void;
}

export interface TopicManagerOptions {
  brokers: string[];
  connection?: KafkaConnection;
  clientId?: string;
  /** Short on purpose: an unreachable broker must surface as KafkaUnavailable quickly. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retries?: number;
  logger?: KafkaLogger;
}

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

export class TopicManager {
  private readonly kafka: InstanceType<typeof Kafka>;

  constructor(private readonly opts: TopicManagerOptions) {
    const logger = opts.logger;
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'chatfleet-operator',
      brokers: opts.brokers,
      ssl: opts.connection?.ssl,
      sasl: opts.connection?.sasl,
      connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
      requestTimeout: opts.requestTimeoutMs ?? 15_000,
      retry: { retries: opts.retries ?? 1, initialRetryTime: 200, maxRetryTime: 1_000 },
      logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry: LogEntry) =>
        logger?.debug({ kafkajs: entry.log, namespace: entry.namespace }, 'kafkajs'),
    });
  }

  /** Runs fn with a connected admin client; connection failures become KafkaUnavailableError. */
  async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return await fn(admin);
    } catch (err: unknown) {
      // Claims are read and written while connected; their failures are not Kafka's.
      if (err instanceof KafkaUnavailableError || err instanceof TopicOwnershipError) throw err;
      if (isKafkaUnavailable(err)) {
        throw new KafkaUnavailableError(
          `Kafka brokers ${this.opts.brokers.join(',')} unreachable: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
      throw new Error(`Kafka admin request failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * The Kafka cluster id (DescribeCluster): the identity topic claims are keyed by. A broker that
   * reports none (protocol older than Metadata v2) is identified by its sorted bootstrap list.
   */
  async clusterId(admin: Admin): Promise<string> {
    const { clusterId } = await admin.describeCluster();
    return clusterId || `bootstrap:${[...this.opts.brokers].sort().join(',')}`;
  }

  /** Which of the named topics exist (are listed) on the broker. */
  async listed(admin: Admin, names: readonly string[]): Promise<Set<string>> {
    const existing = new Set(await admin.listTopics());
    return new Set(names.filter((n) => existing.has(n)));
  }

  /**
   * Observed state of the named topics; absent topics are simply not in the map. Configs are read
   * only for `configsOf` (the topics the CR owns): a topic of someone else is not ours to inspect,
   * and an ACL'd cluster may well refuse DescribeConfigs on it.
   */
  async observe(
    admin: Admin,
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
  async apply(admin: Admin, plan: TopicPlan): Promise<ApplyResult> {
    const result: ApplyResult = { failures: new Map(), applied: [], alreadyExisted: [] };
    if (plan.actions.length === 0) return result;
    const brokers = (await admin.describeCluster()).brokers.length;
    for (const action of plan.actions) {
      try {
        if (await this.applyAction(admin, action, brokers)) result.applied.push(action);
        else result.alreadyExisted.push(action.topic);
      } catch (err: unknown) {
        if (isKafkaUnavailable(err)) throw err;
        result.failures.set(action.topic, `${action.kind} refused by the broker: ${errorMessage(err)}`);
      }
    }
    return result;
  }

  /** false only for a create that found the topic already there (kafkajs resolves false then). */
  private async applyAction(admin: Admin, action: TopicAction, brokers: number): Promise<boolean> {
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
  async deleteTopics(admin: Admin, names: readonly string[]): Promise<string[]> {
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
