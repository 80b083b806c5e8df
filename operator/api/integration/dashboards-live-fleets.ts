/** The ChatbotDeployment specs of dashboards-live.test.ts. */

/** The fleet the dashboards watch: two pods, a canary rollout with two analysis steps. */
export const spec = (version: string): Record<string, unknown> => ({
  scaling: { minReplicas: 2, maxReplicas: 2 },
  rollout: {
    steps: [{ setWeight: 20 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }],
    analysis: {
      intervalSeconds: 5,
      minTurns: 10,
      maxErrorRate: 0.5,
      maxFallbackRate: 1,
      failureThreshold: 3,
    },
    progressDeadlineSeconds: 120,
  },
  model: { name: 'support-bot', version },
});

/**
 * A one-pod fleet with its own latency target: its SLO reaches the alerting rules only through the
 * operator's chatfleet_fleet_slo_* gauges, so the burn-rate test needs a real ChatbotDeployment.
 */
export const sloFleet = (targetMs: number): Record<string, unknown> => ({
  scaling: { minReplicas: 1, maxReplicas: 1 },
  slo: { latency: { percentile: 95, targetMs } },
  model: { name: 'support-bot', version: 'v1' },
});
