import { Counter, type Registry } from 'prom-client';
import type { ScrapeFailureReason } from './bounded-fetch.js';

type FleetLabels = 'namespace' | 'name';

/** What the scrape source reports about hostile or broken /metrics endpoints, on an injected Registry. */
export interface ScrapeMetrics {
  malformedLines: Counter<FleetLabels>;
  failures: Counter<FleetLabels | 'reason'>;
}

export type ScrapeFailureLabel = ScrapeFailureReason | 'fleet_deadline';

const LABELS: ScrapeFailureLabel[] = [
  'timeout',
  'too_large',
  'http_status',
  'unreachable',
  'aborted',
  'invalid',
  'fleet_deadline',
];

/** Drops a deleted fleet's series, so the registry does not grow with every fleet ever seen. */
export function forgetScrapeMetrics(metrics: ScrapeMetrics, namespace: string, name: string): void {
  metrics.malformedLines.remove({ namespace, name });
  for (const reason of LABELS) metrics.failures.remove({ namespace, name, reason });
}

export function registerScrapeMetrics(registry: Registry): ScrapeMetrics {
  const labelNames = ['namespace', 'name'] as const;
  return {
    malformedLines: new Counter({
      name: 'chatfleet_operator_scrape_malformed_lines_total',
      help: 'Lines of scraped bot /metrics that are not valid Prometheus text, skipped.',
      labelNames,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'chatfleet_operator_scrape_failures_total',
      help: 'Pod scrapes that gave no data, by reason (timeout, too_large, http_status, unreachable, ...).',
      labelNames: [...labelNames, 'reason'],
      registers: [registry],
    }),
  };
}
