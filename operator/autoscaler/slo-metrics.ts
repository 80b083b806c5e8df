/**
 * Each fleet's SLO and ceiling as metrics, so the chart's alerts judge every fleet by its own
 * spec.slo.latency and spec.scaling.maxReplicas (charts/chatfleet/files/alerts.yaml,
 * docs/operations.md "SLO burn rate") instead of assuming the defaults.
 */
import { Gauge, type Registry } from 'prom-client';
import { TURN_BUCKETS } from '../../bot-runtime/metrics/buckets.js';
import { leLabels, sloBucketBound } from './core/slo-bucket.js';

type FleetLabels = 'namespace' | 'name';

/** Every `le` form of every runtime bound: what a fleet's bucket series may be exported under. */
const ALL_LE: readonly string[] = TURN_BUCKETS.flatMap(leLabels);

export interface FleetSloMetrics {
  targetSeconds: Gauge<FleetLabels>;
  errorBudget: Gauge<FleetLabels>;
  bucket: Gauge<FleetLabels | 'le'>;
  maxReplicas: Gauge<FleetLabels>;
}

export interface FleetSlo {
  /** spec.slo.latency.targetMs */
  targetMs: number;
  /** spec.slo.latency.percentile, strictly between 0 and 100 */
  percentile: number;
  /** spec.scaling.maxReplicas */
  maxReplicas: number;
}

export function registerFleetSloMetrics(registry: Registry): FleetSloMetrics {
  const labelNames = ['namespace', 'name'] as const;
  const registers = [registry];
  return {
    targetSeconds: new Gauge({
      name: 'chatfleet_fleet_slo_target_seconds',
      help: 'The fleet latency target (spec.slo.latency.targetMs), in seconds.',
      labelNames,
      registers,
    }),
    errorBudget: new Gauge({
      name: 'chatfleet_fleet_slo_error_budget_ratio',
      help: 'Share of turns the SLO percentile allows above the target: 1 - spec.slo.latency.percentile / 100.',
      labelNames,
      registers,
    }),
    bucket: new Gauge({
      name: 'chatfleet_fleet_slo_bucket_info',
      help: 'Always 1; le is the chatfleet_turn_duration_seconds bound that counts a turn as within the target (the largest at or under it).',
      labelNames: [...labelNames, 'le'],
      registers,
    }),
    maxReplicas: new Gauge({
      name: 'chatfleet_fleet_max_replicas',
      help: 'The fleet ceiling (spec.scaling.maxReplicas).',
      labelNames,
      registers,
    }),
  };
}

export function recordFleetSlo(
  metrics: FleetSloMetrics,
  fleet: { namespace: string; name: string },
  slo: FleetSlo,
): void {
  const labels = { namespace: fleet.namespace, name: fleet.name };
  metrics.targetSeconds.set(labels, slo.targetMs / 1000);
  metrics.errorBudget.set(labels, 1 - slo.percentile / 100);
  metrics.maxReplicas.set(labels, slo.maxReplicas);
  const current = new Set(leLabels(sloBucketBound(slo.targetMs / 1000, TURN_BUCKETS)));
  // The fleet's bound only: a changed target moves the series instead of adding some.
  for (const le of ALL_LE) if (!current.has(le)) metrics.bucket.remove({ ...labels, le });
  for (const le of current) metrics.bucket.set({ ...labels, le }, 1);
}

export function removeFleetSlo(metrics: FleetSloMetrics, fleet: { namespace: string; name: string }): void {
  const labels = { namespace: fleet.namespace, name: fleet.name };
  metrics.targetSeconds.remove(labels);
  metrics.errorBudget.remove(labels);
  metrics.maxReplicas.remove(labels);
  for (const le of ALL_LE) metrics.bucket.remove({ ...labels, le });
}
