import { defaultedCbd } from '../../api/fixtures.js';
import type { ChatbotDeployment, ScalingSpecInput } from '../../api/generated/chatbotdeployment.js';
import { DEFAULT_MODEL, type FleetModelParams } from './fleet-model.js';
import { hpaScaler, kpaScaler, oursScaler, type Bounds, type SimScaler } from './scalers.js';
import { DEFAULT_SIM, type SimConfig } from './simulate.js';
import type { Trace } from './traces.js';

/**
 * The simulated fleet. One pod serves ~100 turns/s at 100 % CPU; the p95 SLO (300 ms) holds up to ~75 %
 * CPU, which is ~10.5 turns in flight per pod, and a load test gives a target of 8 (p95 about 250 ms).
 * The tuned scalers get that same operating point: ours-tuned targetInflightPerPod 8, KPA a concurrency
 * target of 70 % x 11.4 = 8, HPA 70 % CPU; ours-default gets no target and must learn it. Traces may
 * change the fleet (traces.ts: model, tunedInflightPerPod).
 */
export const BOUNDS: Bounds = { minReplicas: 2, maxReplicas: 40 };
export const BASE_RATE = 200;
export const TARGET_INFLIGHT = 8;

export function simFleet(
  scaling: ScalingSpecInput = { targetInflightPerPod: TARGET_INFLIGHT },
): ChatbotDeployment {
  return defaultedCbd(
    {
      runtime: { image: 'sim', maxInflight: DEFAULT_MODEL.maxInflight },
      scaling: { ...BOUNDS, ...scaling },
      slo: { latency: { percentile: 95, targetMs: 300 } },
    },
    { namespace: 'sim', name: 'bot' },
  );
}

export interface ScalerSpec {
  name: string;
  make: () => SimScaler;
  /** Part of the headline comparison (the four rows) or an extra row. */
  headline: boolean;
}

/**
 * The scalers of one trace. `ours-default` leaves targetInflightPerPod unset (the capacity is learnt
 * online); `ours-tuned` sets the trace's load-tested target; KPA gets the same target as its concurrency
 * target (70 % of a container concurrency of target / 0.7), HPA its default 70 % CPU.
 */
export function scalers(trace?: Pick<Trace, 'tunedInflightPerPod'>): ScalerSpec[] {
  const tuned = trace?.tunedInflightPerPod ?? TARGET_INFLIGHT;
  return [
    { name: 'ours-default', headline: true, make: () => oursScaler(simFleet({}), 'ours-default') },
    {
      name: 'ours-tuned',
      headline: true,
      make: () => oursScaler(simFleet({ targetInflightPerPod: tuned }), 'ours-tuned'),
    },
    { name: 'hpa-cpu', headline: true, make: () => hpaScaler(BOUNDS, 0.7) },
    { name: 'kpa', headline: true, make: () => kpaScaler(BOUNDS, tuned / 0.7) },
    {
      name: 'ours-down-60s',
      headline: false,
      // Only the scale-down window changed, to KPA's 60 s: what the HPA-default 300 s costs.
      make: () =>
        oursScaler(
          simFleet({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }),
          'ours-down-60s',
        ),
    },
  ];
}

export function simConfig(model: Partial<FleetModelParams> = {}): SimConfig {
  return { ...DEFAULT_SIM, model: { ...DEFAULT_MODEL, ...model }, bounds: BOUNDS };
}
