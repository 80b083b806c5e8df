/**
 * Where the WorkersComponent gets the worker group's lag: an interface (like the autoscaler's metric
 * sources), so the component's decisions can be tested with a fixed reading while production reads
 * the broker. The Kafka implementation is the lag reader of ./lag/reader.ts through the component's
 * own admin pool, with the fleet's credentials Secret (read only when a lag read is due).
 */
import type { KubeClient } from '../kube/client.js';
import { KafkaAdminPool, kafkaAdminFactory, kafkaConnection } from '../dataplane/index.js';
import type { CredentialsState } from '../dataplane/index.js';
import type { ChatbotDeployment } from '../workload/types.js';
import type { WorkerLagReadMetrics } from './lag/metrics.js';
import { readWorkerLag } from './lag/reader.js';
import type { LagObservation } from './scaling/types.js';

export interface WorkerLagSource {
  /** The lag of the fleet's worker group on `topic`. Never throws: failures are `unavailable`. */
  read(cbd: ChatbotDeployment, topic: string, signal?: AbortSignal): Promise<LagObservation>;
  /** The fleet `namespace/name` is gone: drop what was kept for it. */
  forget?(key: string): void;
  close(): Promise<void>;
}

export class KafkaWorkerLagSource implements WorkerLagSource {
  private readonly pool: KafkaAdminPool;
  /** Last credentials per fleet, keyed by namespace/name (kafkaConnection's own memory). */
  private readonly credentials = new Map<string, CredentialsState>();

  constructor(
    private readonly kube: Pick<KubeClient, 'get'>,
    private readonly opts: { pool?: KafkaAdminPool; metrics?: WorkerLagReadMetrics } = {},
  ) {
    this.pool = opts.pool ?? new KafkaAdminPool({ createAdmin: kafkaAdminFactory() });
  }

  async read(cbd: ChatbotDeployment, topic: string, signal?: AbortSignal): Promise<LagObservation> {
    const kafka = cbd.spec.messaging?.kafka;
    if (!kafka) return unavailable('NoKafka', 'spec.messaging.kafka is not set');
    const key = `${cbd.metadata.namespace ?? ''}/${cbd.metadata.name ?? ''}`;
    const state = this.credentials.get(key) ?? {};
    this.credentials.set(key, state);
    let connection;
    try {
      connection = await kafkaConnection(this.kube, cbd, state);
    } catch (err: unknown) {
      return unavailable('CredentialsUnreadable', err instanceof Error ? err.message : String(err));
    }
    if (connection.connectionProblem) return unavailable('CredentialsInvalid', connection.connectionProblem);
    const target = { brokers: kafka.bootstrapServers, connection: connection.connection };
    const metrics = this.opts.metrics;
    return readWorkerLag(this.pool, target, cbd, topic, {
      ...(signal ? { signal } : {}),
      ...(metrics ? { metrics } : {}),
    });
  }

  forget(key: string): void {
    this.credentials.delete(key);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function unavailable(reason: string, message: string): LagObservation {
  return { kind: 'unavailable', reason, message: message.slice(0, 300), observedAt: Date.now() };
}
