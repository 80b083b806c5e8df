import { Label, MANAGED_BY } from '../api/index.js';

export { MANAGED_BY };
export const REDIS_SHARD_LABEL = 'chatfleet.io/redis-shard';

/** Standard labels on every Redis object: the selector labels plus managed-by. */
export function redisLabels(instance: string): Record<string, string> {
  return { ...redisSelector(instance), [Label.managedBy]: MANAGED_BY };
}

/** Selector labels: a stable subset (managed-by may change; selectors are immutable). */
export function redisSelector(instance: string): Record<string, string> {
  return {
    [Label.name]: 'redis',
    [Label.instance]: instance,
    'app.kubernetes.io/component': 'sessions',
  };
}
