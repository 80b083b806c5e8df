/**
 * Which bound of the runtime's turn histogram counts a turn as within a fleet's SLO target. The
 * alerting rules count "good" turns from that one bucket (charts/chatfleet/files/alerts.yaml), so the
 * bound must never be above the target: a target between two bounds is rounded down, which makes
 * the alerts stricter than the SLO rather than laxer. A target under the smallest bound gets the
 * smallest (the histogram cannot say more).
 */
export function sloBucketBound(targetSeconds: number, bounds: readonly number[]): number {
  const sorted = [...bounds].filter((b) => Number.isFinite(b) && b > 0).sort((a, b) => a - b);
  const smallest = sorted[0];
  if (smallest === undefined) throw new Error('the turn histogram has no finite bounds');
  let chosen = smallest;
  for (const b of sorted) if (b <= targetSeconds) chosen = b;
  return chosen;
}

/** The `le` label Prometheus client libraries give that bound (prom-client: String(bound)). */
export function leLabel(bound: number): string {
  return String(bound);
}
