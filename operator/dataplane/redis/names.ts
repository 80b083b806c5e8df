/** One place for every Redis object name, so desired state, env wiring and docs agree. */
export const REDIS_PORT = 6379;
export const REDIS_BUS_PORT = 16379;
export const PASSWORD_KEY = 'password';
/** Cluster identity (node id, epochs, slot map) on the data volume: with storage, it moves with the data. */
export const NODES_CONF = '/data/nodes.conf';

export const redisNames = {
  statefulSet: (name: string): string => `${name}-redis`,
  shardStatefulSet: (name: string, shard: number): string => `${name}-redis-shard-${shard}`,
  headlessService: (name: string): string => `${name}-redis-headless`,
  clientService: (name: string): string => `${name}-redis`,
  pdb: (name: string): string => `${name}-redis`,
  shardPdb: (name: string, shard: number): string => `${name}-redis-shard-${shard}`,
  passwordSecret: (name: string): string => `${name}-redis-auth`,
};

/** Stable per-pod DNS name through the headless Service. */
export function podDnsName(name: string, namespace: string, podName: string): string {
  return `${podName}.${redisNames.headlessService(name)}.${namespace}.svc`;
}
