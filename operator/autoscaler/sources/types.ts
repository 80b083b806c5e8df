import { fleetKey as cbdFleetKey } from '../../controller/fleet-key.js';
import type { MetricObservation } from '../core/types.js';

/** The fleet whose metrics are read. Pod endpoints come from the controller (ready pods' IP:port). */
export interface FleetTarget {
  namespace: string;
  name: string;
  /** Base URLs of the ready pods, e.g. `http://10.0.0.7:8080`; `/metrics` is appended. */
  podEndpoints: string[];
  /** The reconcile's cancellation (the operator's term): requests in flight end when it aborts. */
  signal?: AbortSignal | undefined;
}

export interface MetricWindow {
  /** Evaluation time (ms since epoch). */
  now: number;
  /** Window for the latency percentile, seconds (spec.scaling.metricsWindowSeconds). */
  seconds: number;
  /** Latency percentile, 0 < p < 100 (spec.slo.latency.percentile). */
  percentile: number;
}

/**
 * One interface for every metrics backend, like Flagger's metrics provider and KEDA's Scaler. A source
 * never turns "nothing to read" into zeros: that is a NoData, and an error is a Failure.
 */
export interface MetricSource {
  fetch(fleet: FleetTarget, window: MetricWindow): Promise<MetricObservation>;
  /** Drop per-fleet state (snapshots) when the fleet is deleted. */
  forget(fleetKey: string): void;
}

/** The fleet's key for per-fleet state: the same `namespace/name` as everywhere (controller/fleet-key.ts). */
export function fleetKey(fleet: Pick<FleetTarget, 'namespace' | 'name'>): string {
  return cbdFleetKey({ metadata: fleet });
}
