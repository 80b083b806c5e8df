import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { parseTask, taskTypeLabel, type Task, type TaskLimits } from '../tasks/task.js';
import { attemptTask, type TaskEffects } from './apply.js';
import type { DeadLetter, SourceMessage } from './dlq.js';
import type { WorkerMetrics } from './metrics.js';
import { OffsetTracker } from './offsets.js';
import { nextStep, type RetryPolicy } from './retry.js';
import { KeyedLock, type Slots } from './slots.js';

export interface RunnerDeps {
  fx: TaskEffects;
  metrics: WorkerMetrics;
  log: Logger;
  /** The retry policy of a task (a webhook's maxAttempts is its own). */
  policy: (task: Task) => RetryPolicy;
  /** Sends to the DLQ; throws when it cannot (the task then stays uncommitted). */
  deadLetter: (source: SourceMessage, letter: DeadLetter) => Promise<void>;
  /** Bounds on a task's texts: an over-limit task is invalid (DLQ). */
  limits: TaskLimits;
  random: () => number;
  now: () => number;
}

/** Waits `ms`, checking `stopped` every 100 ms; false when stopped first. */
async function pause(ms: number, stopped: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (stopped()) return false;
    await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
  }
  return !stopped();
}

/** Everything one batch's tasks share: when to stop, the locks, the process-wide slots. */
export interface BatchContext {
  stopped: () => boolean;
  locks: KeyedLock;
  slots: Slots;
}

/**
 * Runs `work` in one of the process-wide slots. Only work holds a slot, never a backoff: tasks
 * sleeping before a retry (a receiver that is down) must not starve every other task of the pod.
 */
async function inSlot<T>(d: RunnerDeps, slots: Slots, work: () => Promise<T>): Promise<T> {
  await slots.acquire();
  d.metrics.inflight.set(slots.inUse);
  try {
    return await work();
  } finally {
    slots.release();
    d.metrics.inflight.set(slots.inUse);
  }
}

/**
 * Runs one task to its end: done, duplicate or dead-lettered (true), or stopped part-way by a
 * rebalance or shutdown (false: not committed, so another worker runs it again). An unparseable
 * task goes straight to the DLQ: no retry can fix its bytes.
 *
 * Tasks with one message key (chat pods key by session) run one after another in offset order
 * (KeyedLock is FIFO and runMessage reaches it synchronously, in the batch's order), retries
 * included; other sessions' tasks run meanwhile. Inside, the task id's own lock serialises copies
 * of one task however they are keyed, so a redelivery finds the first copy's done-marker. Both
 * locks are taken before a slot: a task waiting for its session holds none.
 */
export async function runMessage(d: RunnerDeps, source: SourceMessage, ctx: BatchContext): Promise<boolean> {
  const parsed = parseTask(source.value, d.limits);
  const type = taskTypeLabel(parsed);
  const started = performance.now();
  if (!parsed.ok) {
    if (ctx.stopped()) return false;
    const letter = { reason: `invalid task: ${parsed.reason}`, attempts: 0, type };
    await inSlot(d, ctx.slots, () => d.deadLetter(source, letter));
    d.metrics.tasks.inc({ type, result: 'dead_lettered' });
    return true;
  }
  const { task } = parsed;
  const run = (): Promise<boolean> =>
    ctx.locks.run(`id:${task.id}`, () => runAttempts(d, source, task, ctx, started));
  const session = source.key?.toString('utf8');
  return session ? ctx.locks.run(`key:${session}`, run) : run();
}

async function runAttempts(
  d: RunnerDeps,
  source: SourceMessage,
  task: Task,
  ctx: BatchContext,
  started: number,
): Promise<boolean> {
  const type = task.type;
  const policy = d.policy(task);
  for (let attempt = 1; ; attempt++) {
    if (ctx.stopped()) return false;
    const outcome = await inSlot(d, ctx.slots, () => attemptTask(d.fx, task));
    const next = nextStep(outcome, attempt, policy, d.now(), d.random);
    if (next.step === 'retry') {
      d.metrics.tasks.inc({ type, result: 'retried' });
      if (!(await pause(next.delayMs, ctx.stopped))) return false; // outside the slot
      continue;
    }
    if (next.step === 'dead-letter') {
      const letter = { reason: next.reason, attempts: next.attempts, type };
      await inSlot(d, ctx.slots, () => d.deadLetter(source, letter));
      d.log.warn(
        { taskId: task.id, type, reason: next.reason, attempts: next.attempts },
        'task dead-lettered',
      );
    }
    d.metrics.tasks.inc({ type, result: next.step === 'finish' ? next.result : 'dead_lettered' });
    d.metrics.duration.observe({ type }, (performance.now() - started) / 1000);
    return true;
  }
}

/**
 * Commits the resolved offsets during a batch, not only at its end: a task retrying for minutes
 * must not freeze the group's committed offset (and its lag) at the batch's start. kafkajs commits
 * when autoCommitInterval has passed (worker.ts sets it); one commit at a time, and a failed one
 * is left to the next or to the batch's end (only the finished prefix is ever resolved).
 */
class PromptCommits {
  private inFlight: Promise<void> | undefined;

  constructor(private readonly p: EachBatchPayload) {}

  soon(): void {
    this.inFlight ??= this.p
      .commitOffsetsIfNecessary()
      .catch(() => undefined)
      .finally(() => (this.inFlight = undefined));
  }

  async settled(): Promise<void> {
    await this.inFlight;
  }
}

/**
 * kafkajs eachBatch: the batch's tasks run concurrently, each attempt in one of the process-wide
 * slots, and the partition's offset moves only past tasks that all finished (OffsetTracker), so a
 * worker that dies mid-batch loses nothing: whatever was not finished is delivered again.
 */
export function batchHandler(d: RunnerDeps, slots: Slots) {
  const locks = new KeyedLock();
  return async (p: EachBatchPayload): Promise<void> => {
    const { batch } = p;
    const tracker = new OffsetTracker(batch.messages.map((m) => m.offset));
    let failure: Error | undefined;
    const stopped = (): boolean => failure !== undefined || !p.isRunning() || p.isStale();
    const ctx: BatchContext = { stopped, locks, slots };
    const commits = new PromptCommits(p);
    const beat = setInterval(() => {
      void p.heartbeat().catch(() => undefined);
      commits.soon();
    }, 1000);
    try {
      await Promise.all(
        batch.messages.map(async (m) => {
          try {
            const source = { topic: batch.topic, partition: batch.partition, ...m };
            if (!(await runMessage(d, source, ctx))) return;
            const upTo = tracker.finish(m.offset);
            if (upTo === undefined) return;
            p.resolveOffset(upTo);
            commits.soon();
          } catch (err) {
            failure ??= err instanceof Error ? err : new Error(String(err));
          }
        }),
      );
    } finally {
      clearInterval(beat);
    }
    await commits.settled();
    await p.commitOffsetsIfNecessary();
    if (failure !== undefined) throw failure; // kafkajs retries from the last resolved offset
  };
}
