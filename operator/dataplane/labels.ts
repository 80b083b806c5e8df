export const MANAGED_BY = 'chatfleet-operator';
export const REDIS_SHARD_LABEL = 'chatfleet.io/redis-shard';

/** Standard labels on every Redis object (app.kubernetes.io/*, see CONTRACT.md / issue 4). */
export function redisLabels(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'redis',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/component': 'sessions',
  };
}

/** Selector labels: a stable subset (managed-by may change; selectors are immutable). */
export function redisSelector(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'redis',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': 'sessions',
  };
}
