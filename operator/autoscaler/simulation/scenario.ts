import { defaultedCbd } from '../../api/fixtures.js';
import type { ChatbotDeployment, ScalingSpecInput } from '../../api/generated/chatbotdeployment.js';
import { DEFAULT_MODEL, type FleetModelParams } from './fleet-model.js';
import { hpaScaler, kpaScaler, oursScaler, type Bounds, type SimScaler } from './scalers.js';
import { DEFAULT_SIM, type SimConfig } from './simulate.js';

/**
 * The simulated fleet. One pod serves ~100 turns/s at 100 % CPU; the p95 SLO (300 ms) holds up to ~75 %
 * CPU, which is ~8 turns in flight per pod. Every scaler gets that same operating point: ours
 * targetInflightPerPod 8, KPA a concurrency target of 70 % x 11.4 = 8, HPA 70 % CPU. So the comparison is
 * about dynamics (reaction, windows, panic), not about one scaler being given a better target.
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
  /** Part of the headline comparison (the three scalers) or an extra row. */
  headline: boolean;
}

export function scalers(): ScalerSpec[] {
  return [
    { name: 'ours', headline: true, make: () => oursScaler(simFleet(), 'ours') },
    { name: 'hpa-cpu', headline: true, make: () => hpaScaler(BOUNDS, 0.7) },
    { name: 'kpa', headline: true, make: () => kpaScaler(BOUNDS, TARGET_INFLIGHT / 0.7) },
    {
      name: 'ours-down-60s',
      headline: false,
      // Only the scale-down window changed, to KPA's 60 s: what the fixed 300 s default costs.
      make: () =>
        oursScaler(
          simFleet({
            targetInflightPerPod: TARGET_INFLIGHT,
            behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
          }),
          'ours-down-60s',
        ),
    },
    {
      name: 'ours-default-target',
      headline: false,
      // targetInflightPerPod unset: 0.7 x maxInflight = 44.8, far past this model's knee. Latency must learn it.
      make: () => oursScaler(simFleet({}), 'ours-default-target'),
    },
  ];
}

export function simConfig(model: Partial<FleetModelParams> = {}): SimConfig {
  return { ...DEFAULT_SIM, model: { ...DEFAULT_MODEL, ...model }, bounds: BOUNDS };
}
