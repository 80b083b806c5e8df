/**
 * Histogram bounds of the bot runtime's metrics, in seconds. A module of constants only (no
 * prom-client), so the operator's autoscaler and rollout analysis, its simulations and tests import
 * the very bounds the runtime exports instead of copies.
 */

/**
 * chatfleet_turn_duration_seconds (CONTRACT.md "Metrics the operator reads"): 18 bounds plus +Inf.
 * The autoscaler and rollout analysis compute percentiles from them; changing them changes those.
 */
export const TURN_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
];

/** Added latency of forwarded turns: well below the turn buckets. */
export const FORWARD_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
