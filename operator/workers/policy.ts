/** spec.workers (defaulted by the CRD) as the scaling core's policy. PURE. */
import type { ChatbotDeployment } from '../workload/types.js';
import type { WorkerScalingPolicy } from './scaling/types.js';

export function workerScalingPolicy(cbd: ChatbotDeployment): WorkerScalingPolicy {
  const w = cbd.spec.workers;
  return {
    minReplicas: w.minReplicas,
    maxReplicas: w.maxReplicas,
    targetLagPerReplica: w.targetLagPerReplica,
    activationLag: w.activationLag,
    cooldownSeconds: w.cooldownSeconds,
    stabilizationSeconds: w.stabilizationSeconds,
  };
}
