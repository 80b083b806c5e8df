import type { ChatbotDeploymentSpec } from './types.js';

/** Fixed facts of the bot runtime image (CONTRACT.md); spec defaults come from the CRD. */
export const RUNTIME_PORT = 8080;
export const SERVICE_PORT = 80;
export const RUNTIME_UID = 10001;
export const MODEL_BUNDLE_DIR = '/etc/chatfleet/model';

/**
 * Time the runtime may spend finishing in-flight turns after SIGTERM: the grace period minus the
 * preStop sleep (the kubelet counts it against the same grace period), minus 2 s headroom
 * before SIGKILL. At least 1 s.
 */
export function drainTimeoutMs(spec: ChatbotDeploymentSpec): number {
  const seconds = spec.runtime.terminationGracePeriodSeconds - spec.runtime.drainSeconds - 2;
  return Math.max(1, seconds) * 1000;
}
