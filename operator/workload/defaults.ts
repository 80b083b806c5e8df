import type { ChatbotDeploymentSpec } from './types.js';

/** Fixed facts of the bot runtime image (CONTRACT.md "Ports", "Pod shape"); spec defaults come from the CRD. */
export const RUNTIME_PORT = 8080;
export const SERVICE_PORT = 80;
export const RUNTIME_UID = 10001;
export const MODEL_BUNDLE_DIR = '/etc/chatfleet/model';

/** What the runtime may spend after SIGTERM, in ms: in-flight turns, connections, the event flush. */
export interface ShutdownBudgets {
  drainMs: number;
  closeMs: number;
  flushMs: number;
}

/**
 * The runtime's shutdown budgets (DRAIN_TIMEOUT_MS, CLOSE_TIMEOUT_MS, EVENTS_FLUSH_TIMEOUT_MS), so
 * that their sum fits the time SIGTERM leaves before SIGKILL: the grace period minus the preStop
 * sleep (the kubelet counts it against the same grace period), minus headroom for the exit itself
 * (1 s, or a fifth of a shorter window). Of the rest, the event flush gets a quarter (at most
 * 10 s: Kafka acks take milliseconds when the broker is up, and a down broker will not come back
 * in time), closing connections a tenth (at most 5 s), and finishing in-flight turns the remainder.
 */
export function shutdownBudgets(spec: ChatbotDeploymentSpec): ShutdownBudgets {
  const windowMs = (spec.runtime.terminationGracePeriodSeconds - spec.runtime.drainSeconds) * 1000;
  const availableMs = Math.max(0, windowMs - Math.min(1000, windowMs / 5));
  const flushMs = Math.floor(Math.min(10_000, availableMs * 0.25));
  const closeMs = Math.floor(Math.min(5000, availableMs * 0.1));
  return { drainMs: Math.floor(availableMs - flushMs - closeMs), closeMs, flushMs };
}
