/**
 * The worker group's Kafka lag, read through the admin API, as a LagObservation for the scaling core
 * (operator/workers/scaling/decide.ts): end offsets by ListOffsets (admin.fetchTopicOffsets), the
 * group's committed offsets by OffsetFetch (admin.fetchOffsets), summed by ./sum.ts.
 *
 * Never throws: an unknown topic, an unreachable or refusing broker, a timeout, a cancelled reconcile
 * or offsets that make no sense all become `{ kind: 'unavailable', reason, message }` (./classify.ts),
 * which the core never reads as lag 0. Both requests together wait at most timeoutMs (the connect
 * included, for the pooled read), raced with ../../dataplane/kafka/bounded-call.ts as the topic
 * manager's calls are: kafkajs takes no AbortSignal and its own timeouts do not end a hung connect.
 *
 * The entry point, readWorkerLag(pool, target, cbd, topic), reads a fleet's worker group (../names.ts)
 * through the operator's shared admin pool (../../dataplane/kafka/admin-pool.ts), one client per broker
 * set and credentials; a client that hung or failed leaves the pool, as the topic manager's do.
 */
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import { boundedCall, brokerSet, endLease, throwIfAborted } from '../../dataplane/index.js';
import type { AdminLease, AdminTarget, CallBounds, KafkaAdminPool } from '../../dataplane/index.js';
import type { ChatbotDeployment } from '../../api/index.js';
import { workerGroupId } from '../names.js';
import type { LagObservation } from '../scaling/types.js';
import {
  boundedMessage,
  InvalidOffsetsError,
  lagFailureMessage,
  lagFailureReason,
  MissingTopicError,
} from './classify.js';
import { lagReadResult } from './metrics.js';
import type { WorkerLagReadMetrics } from './metrics.js';
import { sumLag } from './sum.js';

/** One lag read, connect and both requests together. The core holds the count meanwhile, so short. */
export const DEFAULT_LAG_READ_TIMEOUT_MS = 5_000;
/** Kafka's limit on topic names; group ids have none in the protocol, and get the same bound. */
export const MAX_NAME_CHARS = 249;

/** The admin requests a lag read makes; a kafkajs Admin satisfies it. */
export type LagAdmin = Pick<Admin, 'listTopics' | 'fetchTopicOffsets' | 'fetchOffsets'>;

export interface LagReadOptions {
  /** The most the read may wait in all (default DEFAULT_LAG_READ_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Cancels the read (leadership lost, shutdown): it ends at once as unavailable/Aborted. */
  signal?: AbortSignal;
  /** Wall-clock ms since the epoch, for observedAt (injected in tests). */
  clock?: () => number;
  /** Monotonic ms, for the deadline. */
  monotonic?: () => number;
  /** Observes each read's duration by result (./metrics.ts). */
  metrics?: WorkerLagReadMetrics;
}

interface Read {
  groupId: string;
  topic: string;
  bounds: CallBounds;
  clock: () => number;
  startedAt: number;
  metrics: WorkerLagReadMetrics | undefined;
}

function startRead(groupId: string, topic: string, brokers: string, opts: LagReadOptions): Read {
  const now = opts.monotonic ?? (() => performance.now());
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LAG_READ_TIMEOUT_MS;
  const startedAt = now();
  return {
    groupId,
    topic,
    clock: opts.clock ?? Date.now,
    bounds: {
      brokers,
      callTimeoutMs: timeoutMs,
      deadlineAt: startedAt + timeoutMs,
      signal: opts.signal,
      now,
    },
    startedAt,
    metrics: opts.metrics,
  };
}

function finished(read: Read, observation: LagObservation): LagObservation {
  const seconds = (read.bounds.now() - read.startedAt) / 1000;
  read.metrics?.readDuration.observe({ result: lagReadResult(observation) }, seconds);
  return observation;
}

function badName(kind: string, value: string): string | undefined {
  if (value === '') return `the ${kind} is empty`;
  if (value.length > MAX_NAME_CHARS) return `the ${kind} is longer than ${MAX_NAME_CHARS} characters`;
  return undefined;
}

function unavailable(read: Read, reason: string, message: string): LagObservation {
  return { kind: 'unavailable', reason, message: boundedMessage(message), observedAt: read.clock() };
}

function failed(read: Read, err: unknown): LagObservation {
  const what = `lag of group ${read.groupId} on topic ${read.topic}`;
  return unavailable(read, lagFailureReason(err), lagFailureMessage(err, what));
}

/**
 * Both offset requests at once, within the read's bounds; throws what kafkajs or the bounds threw.
 *
 * The topic is looked up in the broker's list first. kafkajs adds every topic it is asked about to
 * its client's metadata targets, and a topic that does not exist can stay there (when the two
 * requests race on it): from then on every metadata refresh of that pooled client fails with
 * UNKNOWN_TOPIC_OR_PARTITION, so one fleet whose tasks topic is missing made every other fleet on
 * the same brokers read TopicNotFound (200 of 200 reads, operator/workers/lag/integration). For the
 * same reason neither request is left running when the other fails.
 */
async function fetchLag(admin: LagAdmin, read: Read): Promise<LagObservation> {
  const { groupId, topic, bounds } = read;
  const topics = await boundedCall('listTopics', bounds, () => admin.listTopics());
  if (!topics.includes(topic)) throw new MissingTopicError(`topic ${topic} does not exist`);
  const [ends, groups] = await bothSettled(
    boundedCall('fetchTopicOffsets', bounds, () => admin.fetchTopicOffsets(topic)),
    boundedCall('fetchOffsets', bounds, () => admin.fetchOffsets({ groupId, topics: [topic] })),
  );
  const committed = groups.find((g) => g.topic === topic)?.partitions ?? [];
  const sum = sumLag(ends, committed);
  if (!sum.ok) throw new InvalidOffsetsError(`broker answered nonsense offsets: ${sum.problem}`);
  return { kind: 'lag', lag: sum.lag, partitions: sum.partitions, observedAt: read.clock() };
}

/** Both values once both settled; the first failure (in argument order) otherwise. */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/**
 * A topic missing although the list had it (deleted meanwhile) may still be among the client's
 * metadata targets (see fetchLag): that client leaves the pool. Otherwise as every pooled call.
 */
function endRead(lease: AdminLease, err: unknown): void {
  if (!(err instanceof MissingTopicError) && lagFailureReason(err) === 'TopicNotFound') {
    lease.discard('error', false);
  } else endLease(lease, err);
}

function invalidRequest(read: Read): LagObservation | undefined {
  const problem = badName('group id', read.groupId) ?? badName('topic', read.topic);
  return problem === undefined ? undefined : unavailable(read, 'InvalidRequest', problem);
}

/**
 * The lag of the fleet's worker group (workerGroupId) on its tasks topic, through the shared pool's
 * client for `target` (the fleet's spec.messaging.kafka brokers and credentials). Never throws.
 */
export async function readWorkerLag(
  pool: KafkaAdminPool,
  target: AdminTarget,
  cbd: Pick<ChatbotDeployment, 'metadata'>,
  topic: string,
  opts: LagReadOptions = {},
): Promise<LagObservation> {
  const read = startRead(workerGroupId(cbd), topic, brokerSet(target.brokers), opts);
  const invalid = invalidRequest(read);
  if (invalid) return finished(read, invalid);
  let lease: AdminLease | undefined;
  try {
    throwIfAborted('connect', read.bounds); // a cancelled reconcile opens no client
    lease = pool.acquire(target);
    const connected = lease.connected;
    await boundedCall('connect', read.bounds, () => connected);
    const observation = await fetchLag(lease.admin, read);
    lease.release();
    return finished(read, observation);
  } catch (err: unknown) {
    if (lease) endRead(lease, err);
    return finished(read, failed(read, err));
  }
}
