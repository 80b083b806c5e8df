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

/**
 * The `le` values that bound carries in Prometheus: prom-client exposes String(bound) ("2"), and
 * Prometheus 3 normalises classic-histogram `le` values to float form on ingestion ("2.0"), while
 * Prometheus 2 keeps them as scraped. The SLO bucket series is exported under each distinct form, so
 * the rules' join on `le` matches whichever the server stores (a gauge's labels are never normalised).
 */
export function leLabels(bound: number): string[] {
  const plain = String(bound);
  const float = Number.isInteger(bound) ? `${plain}.0` : plain;
  return float === plain ? [plain] : [plain, float];
}
