import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { recordFleetSlo, registerFleetSloMetrics, removeFleetSlo } from './slo-metrics.js';

const fleet = { namespace: 'team-a', name: 'support' };

async function exposition(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('chatfleet_fleet_'));
}

describe('per-fleet SLO metrics (the alerts read them)', () => {
  it('exports target, budget, bucket and ceiling as the alerting rules expect them', async () => {
    const registry = new Registry();
    const m = registerFleetSloMetrics(registry);
    recordFleetSlo(m, fleet, { targetMs: 250, percentile: 99, maxReplicas: 12 });
    expect((await exposition(registry)).sort()).toEqual(
      [
        'chatfleet_fleet_slo_target_seconds{namespace="team-a",name="support"} 0.25',
        'chatfleet_fleet_slo_error_budget_ratio{namespace="team-a",name="support"} 0.010000000000000009',
        'chatfleet_fleet_slo_bucket_info{namespace="team-a",name="support",le="0.2"} 1',
        'chatfleet_fleet_max_replicas{namespace="team-a",name="support"} 12',
      ].sort(),
    );
  });

  it('moves the bucket series when the target changes, and removes everything on forget', async () => {
    const registry = new Registry();
    const m = registerFleetSloMetrics(registry);
    recordFleetSlo(m, fleet, { targetMs: 300, percentile: 95, maxReplicas: 4 });
    recordFleetSlo(m, fleet, { targetMs: 1000, percentile: 95, maxReplicas: 4 });
    const buckets = (await exposition(registry)).filter((l) => l.includes('bucket_info'));
    expect(buckets.sort()).toEqual([
      'chatfleet_fleet_slo_bucket_info{namespace="team-a",name="support",le="1"} 1',
      'chatfleet_fleet_slo_bucket_info{namespace="team-a",name="support",le="1.0"} 1',
    ]);
    removeFleetSlo(m, fleet);
    expect(await exposition(registry)).toEqual([]);
  });
});
