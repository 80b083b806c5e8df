/**
 * Where the WorkersComponent gets the worker group's lag: an interface (like the autoscaler's metric
 * sources), so the component's decisions can be tested with a fixed reading while production reads
 * the broker. The Kafka implementation is the lag reader of ./lag/reader.ts through the component's
 * own admin pool, with the fleet's credentials Secret: read again at most every credentialsMaxAgeMs
 * (60 s, the topic manager's recheck) while reads succeed, and before every read after one failed, so
 * a fixed Secret is picked up at the next poll and a steady fleet costs one GET a minute, not four.
 */
import { performance } from 'node:perf_hooks';
import type { KubeClient } from '../kube/client.js';
import { KafkaAdminPool, kafkaAdminFactory, kafkaConnection } from '../dataplane/index.js';
import type { CredentialsState } from '../dataplane/index.js';
import type { ChatbotDeployment } from '../workload/types.js';
import type { WorkerLagReadMetrics } from './lag/metrics.js';
import { readWorkerLag } from './lag/reader.js';
import type { LagObservation } from './scaling/types.js';
import { fleetKey } from '../controller/fleet-key.js';
import { errorMessage } from '../kube/errors.js';

export interface WorkerLagSource {
  /** The lag of the fleet's worker group on `topic`. Never throws: failures are `unavailable`. */
  read(cbd: ChatbotDeployment, topic: string, signal?: AbortSignal): Promise<LagObservation>;
  /** The fleet `namespace/name` is gone: drop what was kept for it. */
  forget?(key: string): void;
  close(): Promise<void>;
}

/** How long credentials read from the Secret are used while lag reads succeed. */
export const CREDENTIALS_MAX_AGE_MS = 60_000;

type Connection = Awaited<ReturnType<typeof kafkaConnection>>;

interface FleetCredentials extends CredentialsState {
  last?: { connection: Connection; readAt: number; ref: string; ok: boolean };
}

export interface KafkaWorkerLagOptions {
  pool?: KafkaAdminPool;
  metrics?: WorkerLagReadMetrics;
  credentialsMaxAgeMs?: number;
  /** Monotonic ms (tests). */
  now?: () => number;
}

export class KafkaWorkerLagSource implements WorkerLagSource {
  private readonly pool: KafkaAdminPool;
  /** Per fleet (namespace/name): kafkaConnection's own memory and the last connection read. */
  private readonly credentials = new Map<string, FleetCredentials>();

  constructor(
    private readonly kube: Pick<KubeClient, 'get'>,
    private readonly opts: KafkaWorkerLagOptions = {},
  ) {
    this.pool = opts.pool ?? new KafkaAdminPool({ createAdmin: kafkaAdminFactory() });
  }

  /** The fleet's connection: the last one while fresh and working, else read from the Secret again. */
  private async connectionOf(cbd: ChatbotDeployment, key: string): Promise<Connection> {
    const state = this.credentials.get(key) ?? {};
    this.credentials.set(key, state);
    const now = (this.opts.now ?? (() => performance.now()))();
    const ref = cbd.spec.messaging?.kafka?.secretRef?.name ?? '';
    const maxAge = this.opts.credentialsMaxAgeMs ?? CREDENTIALS_MAX_AGE_MS;
    const last = state.last;
    if (last && last.ok && last.ref === ref && now - last.readAt < maxAge) return last.connection;
    const connection = await kafkaConnection(this.kube, cbd, state);
    state.last = { connection, readAt: now, ref, ok: true };
    return connection;
  }

  async read(cbd: ChatbotDeployment, topic: string, signal?: AbortSignal): Promise<LagObservation> {
    const kafka = cbd.spec.messaging?.kafka;
    if (!kafka) return unavailable('NoKafka', 'spec.messaging.kafka is not set');
    const key = fleetKey(cbd);
    let connection: Connection;
    try {
      connection = await this.connectionOf(cbd, key);
    } catch (err: unknown) {
      return unavailable('CredentialsUnreadable', errorMessage(err));
    }
    const observation = connection.connectionProblem
      ? unavailable('CredentialsInvalid', connection.connectionProblem)
      : await this.readLag(cbd, topic, kafka.bootstrapServers, connection, signal);
    // After any failure the Secret is read again before the next read (it may have been fixed).
    const last = this.credentials.get(key)?.last;
    if (last) last.ok = observation.kind === 'lag';
    return observation;
  }

  private readLag(
    cbd: ChatbotDeployment,
    topic: string,
    brokers: string[],
    connection: Connection,
    signal: AbortSignal | undefined,
  ): Promise<LagObservation> {
    const target = { brokers, connection: connection.connection };
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
