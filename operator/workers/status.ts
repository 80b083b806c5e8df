/**
 * status.workers, the WorkersReady condition and the worker Events, from the scaling decision, the lag
 * observation and the live worker Deployment. PURE (times are inputs). WorkersReady never holds the
 * fleet's Ready: chat does not depend on the background lane.
 */
import { ConditionReason, ConditionType } from '../api/index.js';
import type { WorkersStatus } from '../api/index.js';
import type { ComponentEvent } from '../controller/component.js';
import type { ConditionInput } from '../workload/status.js';
import { rfc3339 } from '../workload/status.js';
import type { KubeObject } from '../workload/types.js';
import type { LagObservation, WorkerScalingDecision } from './scaling/types.js';

/** The CRD's bounds on status.workers.reason and .message. */
const MAX_REASON_CHARS = 64;
const MAX_MESSAGE_CHARS = 1024;

interface DeploymentCounts {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number };
}

export interface WorkersObservation {
  /** The worker Deployment as last observed (undefined before it exists). */
  deployment: KubeObject | undefined;
  observation: LagObservation;
  decision: WorkerScalingDecision;
}

function counts(deployment: KubeObject | undefined): { replicas: number; readyReplicas: number } {
  const s = (deployment as DeploymentCounts | undefined)?.status;
  return { replicas: s?.replicas ?? 0, readyReplicas: s?.readyReplicas ?? 0 };
}

/** The replica count the live worker Deployment asks for (0 before it exists). */
export function liveWorkerReplicas(deployment: KubeObject | undefined): number {
  return (deployment as DeploymentCounts | undefined)?.spec?.replicas ?? 0;
}

export function workersStatus(o: WorkersObservation): WorkersStatus {
  const { decision, observation } = o;
  const lastScaleAt = decision.state.lastScaleAt;
  return {
    ...counts(o.deployment),
    desiredReplicas: decision.desiredReplicas,
    // "No data" is never 0: without a reading the field is absent.
    ...(observation.kind === 'lag' && decision.lag !== undefined ? { lag: decision.lag } : {}),
    ...(observation.kind === 'lag' ? { partitions: observation.partitions } : {}),
    reason: decision.reason.slice(0, MAX_REASON_CHARS),
    message: decision.message.slice(0, MAX_MESSAGE_CHARS),
    ...(lastScaleAt !== undefined ? { lastScaleTime: rfc3339(new Date(lastScaleAt)) } : {}),
  };
}

function condition(status: 'True' | 'False', reason: string, message: string): ConditionInput {
  return { type: ConditionType.WorkersReady, status, reason, message };
}

/** WorkersReady: the pool runs what the scaler wants, and the scaler can see the lag. */
export function workersReadyCondition(o: WorkersObservation): ConditionInput {
  if (o.observation.kind === 'unavailable') {
    return condition(
      'False',
      ConditionReason.LagUnavailable,
      `${o.decision.message}; the pool is not scaled until the lag can be read`.slice(0, MAX_MESSAGE_CHARS),
    );
  }
  const desired = o.decision.desiredReplicas;
  const { readyReplicas } = counts(o.deployment);
  if (desired === 0 && readyReplicas === 0) {
    return condition('True', ConditionReason.ScaledToZero, 'no worker pods: no lag to work on');
  }
  if (runsDesired(o.deployment, desired, readyReplicas)) {
    return condition('True', ConditionReason.Available, `${readyReplicas}/${desired} worker pods ready`);
  }
  return condition(
    'False',
    ConditionReason.WaitingForPods,
    `${readyReplicas}/${desired} worker pods ready; see kubectl get pods -l app.kubernetes.io/component=worker`,
  );
}

/** The Deployment has seen its latest spec, asks for `desired` and has that many pods ready. */
function runsDesired(deployment: KubeObject | undefined, desired: number, readyReplicas: number): boolean {
  const d = deployment as DeploymentCounts | undefined;
  const settled = (d?.status?.observedGeneration ?? -1) >= (d?.metadata?.generation ?? 0);
  return settled && readyReplicas >= desired && liveWorkerReplicas(deployment) === desired;
}

/** What the previous decision left, for Events on transitions only. */
export interface EventMemory {
  desiredReplicas?: number;
  lagUnavailable?: boolean;
}

/** WorkersScaled when the count changes, WorkerLagUnavailable when the lag becomes unreadable. */
export function workerEvents(previous: EventMemory, o: WorkersObservation): ComponentEvent[] {
  const events: ComponentEvent[] = [];
  const desired = o.decision.desiredReplicas;
  if (previous.desiredReplicas !== undefined && previous.desiredReplicas !== desired) {
    events.push({
      type: 'Normal',
      reason: 'WorkersScaled',
      action: 'Scale',
      note: `worker replicas ${previous.desiredReplicas} -> ${desired} (${o.decision.reason}): ${o.decision.message}`,
    });
  }
  const unavailable = o.observation.kind === 'unavailable';
  if (unavailable && previous.lagUnavailable !== true) {
    events.push({
      type: 'Warning',
      reason: 'WorkerLagUnavailable',
      action: 'ReadLag',
      note: o.decision.message,
    });
  }
  return events;
}
