import { Counter, Gauge, type Registry } from 'prom-client';
import type { Mode } from './core/types.js';
import { registerFleetSloMetrics, removeFleetSlo, type FleetSloMetrics } from './slo-metrics.js';
import { registerScrapeMetrics, type ScrapeMetrics } from './sources/scrape-metrics.js';

const MODES: Mode[] = ['stable', 'panic', 'fallback'];

type FleetLabels = 'namespace' | 'name';

/** Per-fleet autoscaler metrics, registered on an injected Registry. */
export interface AutoscalerMetrics {
  desiredReplicas: Gauge<FleetLabels>;
  observedLatency: Gauge<FleetLabels>;
  inflightPerPod: Gauge<FleetLabels>;
  /** What the core learnt a pod sustains at the SLO (core/capacity.ts); absent while nothing is learnt. */
  learntInflightPerPod: Gauge<FleetLabels>;
  mode: Gauge<FleetLabels | 'mode'>;
  fetchFailures: Counter<FleetLabels | 'kind'>;
  /** Malformed lines and failed pod scrapes of the scrape source. */
  scrape: ScrapeMetrics;
  /** The fleet's SLO and ceiling, which the chart's alerts judge it by. */
  slo: FleetSloMetrics;
}

export interface FleetMetricValues {
  desiredReplicas: number;
  /** Seconds; null = no latency data (the series is removed rather than set to 0). */
  observedLatencySeconds: number | null;
  inflightPerPod: number | null;
  /** null: a target is configured, or nothing is learnt yet (the series is removed rather than set to 0). */
  learntInflightPerPod: number | null;
  mode: Mode;
  /** 'failure' | 'noData' when this evaluation's fetch did not produce a sample. */
  fetchProblem: 'failure' | 'noData' | null;
}

export function registerAutoscalerMetrics(registry: Registry): AutoscalerMetrics {
  const labelNames = ['namespace', 'name'] as const;
  return {
    desiredReplicas: new Gauge({
      name: 'chatfleet_autoscaler_desired_replicas',
      help: 'Replicas the autoscaler wants for the fleet.',
      labelNames,
      registers: [registry],
    }),
    observedLatency: new Gauge({
      name: 'chatfleet_autoscaler_observed_latency_seconds',
      help: 'Latency percentile (spec.slo.latency.percentile) over the metrics window, as seen by the autoscaler.',
      labelNames,
      registers: [registry],
    }),
    inflightPerPod: new Gauge({
      name: 'chatfleet_autoscaler_inflight_per_pod',
      help: 'Average in-flight turns per reporting pod over the metrics window.',
      labelNames,
      registers: [registry],
    }),
    learntInflightPerPod: new Gauge({
      name: 'chatfleet_fleet_learned_inflight_per_pod',
      help: 'In-flight turns per pod the autoscaler learnt the fleet sustains at its latency SLO (used as the target when spec.scaling.targetInflightPerPod is unset).',
      labelNames,
      registers: [registry],
    }),
    mode: new Gauge({
      name: 'chatfleet_autoscaler_mode',
      help: 'Autoscaler mode of the fleet: 1 for the current mode (stable, panic, fallback), 0 for the others.',
      labelNames: [...labelNames, 'mode'],
      registers: [registry],
    }),
    fetchFailures: new Counter({
      name: 'chatfleet_autoscaler_metric_fetch_failures_total',
      help: 'Metric fetches that returned no sample, by kind (failure, noData).',
      labelNames: [...labelNames, 'kind'],
      registers: [registry],
    }),
    scrape: registerScrapeMetrics(registry),
    slo: registerFleetSloMetrics(registry),
  };
}

export function recordFleetMetrics(
  metrics: AutoscalerMetrics,
  fleet: { namespace: string; name: string },
  values: FleetMetricValues,
): void {
  const labels = { namespace: fleet.namespace, name: fleet.name };
  metrics.desiredReplicas.set(labels, values.desiredReplicas);
  if (values.observedLatencySeconds === null) metrics.observedLatency.remove(labels);
  else metrics.observedLatency.set(labels, values.observedLatencySeconds);
  if (values.inflightPerPod === null) metrics.inflightPerPod.remove(labels);
  else metrics.inflightPerPod.set(labels, values.inflightPerPod);
  if (values.learntInflightPerPod === null) metrics.learntInflightPerPod.remove(labels);
  else metrics.learntInflightPerPod.set(labels, values.learntInflightPerPod);
  for (const mode of MODES) metrics.mode.set({ ...labels, mode }, mode === values.mode ? 1 : 0);
  if (values.fetchProblem !== null) metrics.fetchFailures.inc({ ...labels, kind: values.fetchProblem });
}

export function removeFleetMetrics(
  metrics: AutoscalerMetrics,
  fleet: { namespace: string; name: string },
): void {
  const labels = { namespace: fleet.namespace, name: fleet.name };
  metrics.desiredReplicas.remove(labels);
  metrics.observedLatency.remove(labels);
  metrics.inflightPerPod.remove(labels);
  metrics.learntInflightPerPod.remove(labels);
  for (const mode of MODES) metrics.mode.remove({ ...labels, mode });
  for (const kind of ['failure', 'noData']) metrics.fetchFailures.remove({ ...labels, kind });
  removeFleetSlo(metrics.slo, fleet);
}
