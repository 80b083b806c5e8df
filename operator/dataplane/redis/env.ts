/**
 * Bot pod env wiring for Redis (CONTRACT.md "Env the operator sets on bot pods"). Credentials are always secretKeyRefs,
 * never values in the Deployment spec.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import type { ChatbotDeployment } from '../types.js';
import { PASSWORD_KEY, REDIS_PORT, redisNames, podDnsName } from './names.js';
import { effectiveShardCount } from './validate.js';
import { nameOf, namespaceOf } from '../identity.js';

function fromSecret(name: string, secret: string, key: string, optional: boolean): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional } } };
}

export function redisEnv(cbd: ChatbotDeployment): V1EnvVar[] {
  const spec = cbd.spec.sessions.redis;
  const name = nameOf(cbd);
  const ns = namespaceOf(cbd);
  if (spec.mode === 'external') {
    const secret = spec.secretRef?.name ?? '';
    // The operator does not need to read the user's Secret to wire it: optional refs leave
    // unset keys out of the pod env, so whichever of url / clusterNodes exists is what the bot sees.
    return [
      fromSecret('REDIS_URL', secret, 'url', true),
      fromSecret('REDIS_CLUSTER_NODES', secret, 'clusterNodes', true),
      fromSecret('REDIS_PASSWORD', secret, 'password', true),
      fromSecret('REDIS_TLS', secret, 'tls', true),
    ];
  }
  const password = fromSecret('REDIS_PASSWORD', redisNames.passwordSecret(name), PASSWORD_KEY, false);
  if (spec.topology === 'standalone') {
    return [
      { name: 'REDIS_URL', value: `redis://${redisNames.clientService(name)}.${ns}.svc:${REDIS_PORT}` },
      password,
    ];
  }
  return [{ name: 'REDIS_CLUSTER_NODES', value: clusterSeedNodes(cbd, effectiveShardCount(cbd)) }, password];
}

/** Every shard's pod 0 as a seed: any one reachable seed lets the client discover the topology. */
function clusterSeedNodes(cbd: ChatbotDeployment, shards: number): string {
  const name = nameOf(cbd);
  const seeds: string[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const pod = `${redisNames.shardStatefulSet(name, shard)}-0`;
    seeds.push(`${podDnsName(name, namespaceOf(cbd), pod)}:${REDIS_PORT}`);
  }
  return seeds.join(',');
}
