/** One place for every Redis object name, so desired state, env wiring and docs agree. */
export const REDIS_PORT = 6379;
export const REDIS_BUS_PORT = 16379;
export const PASSWORD_KEY = 'password';
/** Cluster identity (node id, epochs, slot map) on the data volume: with storage, it moves with the data. */
export const NODES_CONF = '/data/nodes.conf';

export const redisNames = {
  statefulSet: (cr: string): string => `${cr}-redis`,
  shardStatefulSet: (cr: string, shard: number): string => `${cr}-redis-shard-${shard}`,
  headlessService: (cr: string): string => `${cr}-redis-headless`,
  clientService: (cr: string): string => `${cr}-redis`,
  pdb: (cr: string): string => `${cr}-redis`,
  shardPdb: (cr: string, shard: number): string => `${cr}-redis-shard-${shard}`,
  passwordSecret: (cr: string): string => `${cr}-redis-auth`,
};

/** Stable per-pod DNS name through the headless Service. */
export function podDnsName(cr: string, namespace: string, podName: string): string {
  return `${podName}.${redisNames.headlessService(cr)}.${namespace}.svc`;
}
