// The invalid specs the API server must reject, each with the text its message must contain.
import type { Spec } from './support.js';

// [case, spec change, text the message must contain (it names the field)]
export const invalid: [string, (s: Spec) => Spec, string][] = [
  [
    'auth without a method',
    (s) => ({ ...s, runtime: { image: 'x', auth: {} } }),
    'spec.runtime.auth must set',
  ],
  [
    'jwt without keys',
    (s) => ({ ...s, runtime: { image: 'x', auth: { jwt: { issuer: 'https://idp' } } } }),
    'spec.runtime.auth.jwt must set jwksUrl',
  ],
  [
    'jwksUrl not http(s)',
    (s) => ({ ...s, runtime: { image: 'x', auth: { jwt: { jwksUrl: 'file:///etc/keys' } } } }),
    'spec.runtime.auth.jwt.jwksUrl must be an http(s) URL',
  ],
  [
    'an audience with a comma',
    (s) => ({
      ...s,
      runtime: { image: 'x', auth: { jwt: { jwksUrl: 'https://idp/jwks', audiences: ['a,b'] } } },
    }),
    'spec.runtime.auth.jwt.audiences[0]',
  ],
  [
    'trustedProxies entry not an IP or CIDR',
    (s) => ({ ...s, runtime: { image: 'x', trustedProxies: ['10.0.0.0/8', 'proxy.local'] } }),
    'spec.runtime.trustedProxies[] must be an IP address or a CIDR range',
  ],
  [
    'rateLimitPerMinute negative',
    (s) => ({ ...s, runtime: { image: 'x', rateLimitPerMinute: -1 } }),
    'spec.runtime.rateLimitPerMinute',
  ],
  [
    'env sets FLEET_ID',
    (s) => ({ ...s, runtime: { image: 'x', env: [{ name: 'FLEET_ID', value: 'other/fleet' }] } }),
    'spec.runtime.env[0].name',
  ],
  [
    'minReplicas > maxReplicas',
    (s) => ({ ...s, scaling: { minReplicas: 5, maxReplicas: 3 } }),
    'spec.scaling.minReplicas must be less than or equal to spec.scaling.maxReplicas',
  ],
  ['minReplicas 0', (s) => ({ ...s, scaling: { minReplicas: 0 } }), 'spec.scaling.minReplicas'],
  ['maxReplicas above bound', (s) => ({ ...s, scaling: { maxReplicas: 5000 } }), 'spec.scaling.maxReplicas'],
  ['percentile 100', (s) => ({ ...s, slo: { latency: { percentile: 100 } } }), 'spec.slo.latency.percentile'],
  ['percentile 0', (s) => ({ ...s, slo: { latency: { percentile: 0 } } }), 'spec.slo.latency.percentile'],
  ['targetMs 0', (s) => ({ ...s, slo: { latency: { targetMs: 0 } } }), 'spec.slo.latency.targetMs'],
  ['empty image', (s) => ({ ...s, runtime: { image: '' } }), 'spec.runtime.image'],
  ['blank image', (s) => ({ ...s, runtime: { image: '   ' } }), 'spec.runtime.image'],
  ['missing image', (s) => ({ ...s, runtime: {} }), 'spec.runtime.image'],
  ['empty model version', (s) => ({ ...s, model: { name: 'faq', version: '' } }), 'spec.model.version'],
  ['missing model version', (s) => ({ ...s, model: { name: 'faq' } }), 'spec.model.version'],
  [
    'model version not a label value',
    (s) => ({ ...s, model: { name: 'faq', version: 'v 1' } }),
    'spec.model.version',
  ],
  ['maxInflight 0', (s) => ({ ...s, runtime: { image: 'x', maxInflight: 0 } }), 'spec.runtime.maxInflight'],
  ['tolerance 1.5', (s) => ({ ...s, scaling: { tolerance: 1.5 } }), 'spec.scaling.tolerance'],
  [
    'drainSeconds >= grace period',
    (s) => ({ ...s, runtime: { image: 'x', drainSeconds: 30, terminationGracePeriodSeconds: 30 } }),
    'spec.runtime.drainSeconds must be less than spec.runtime.terminationGracePeriodSeconds',
  ],
  [
    'targetInflightPerPod > maxInflight',
    (s) => ({ ...s, runtime: { image: 'x', maxInflight: 10 }, scaling: { targetInflightPerPod: 11 } }),
    'spec.scaling.targetInflightPerPod must not exceed spec.runtime.maxInflight',
  ],
  [
    'partitions 0',
    (s) => ({
      ...s,
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 't', partitions: 0 }] } },
    }),
    'spec.messaging.kafka.topics[0].partitions',
  ],
  [
    'replicationFactor 0',
    (s) => ({
      ...s,
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 't', replicationFactor: 0 }] } },
    }),
    'spec.messaging.kafka.topics[0].replicationFactor',
  ],
  [
    'no bootstrapServers',
    (s) => ({ ...s, messaging: { kafka: { bootstrapServers: [] } } }),
    'spec.messaging.kafka.bootstrapServers',
  ],
  [
    'two events topics',
    (s) => ({
      ...s,
      messaging: {
        kafka: {
          bootstrapServers: ['k:9092'],
          topics: [
            { name: 'a', purpose: 'events' },
            { name: 'b', purpose: 'events' },
          ],
        },
      },
    }),
    'spec.messaging.kafka.topics[] may hold at most one topic with purpose events',
  ],
  [
    'invalid deletionPolicy',
    (s) => ({ ...s, messaging: { kafka: { bootstrapServers: ['k:9092'], deletionPolicy: 'Orphan' } } }),
    'spec.messaging.kafka.deletionPolicy',
  ],
  [
    'cluster with 2 shards',
    (s) => ({ ...s, sessions: { redis: { topology: 'cluster', shards: 2 } } }),
    'spec.sessions.redis.shards must be at least 3',
  ],
  [
    'external redis without secretRef',
    (s) => ({ ...s, sessions: { redis: { mode: 'external' } } }),
    'spec.sessions.redis.secretRef is required when spec.sessions.redis.mode is external',
  ],
  [
    'invalid redis mode',
    (s) => ({ ...s, sessions: { redis: { mode: 'cloud' } } }),
    'spec.sessions.redis.mode',
  ],
  [
    'invalid imagePullPolicy',
    (s) => ({ ...s, runtime: { image: 'x', imagePullPolicy: 'Sometimes' } }),
    'spec.runtime.imagePullPolicy',
  ],
  [
    'invalid scaling policy type',
    (s) => ({
      ...s,
      scaling: { behavior: { scaleUp: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 15 }] } } },
    }),
    'spec.scaling.behavior.scaleUp.policies[0].type',
  ],
  [
    'setWeight 101',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 101 }] } }),
    'spec.rollout.steps[0].setWeight',
  ],
  [
    'setWeight 0',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 0 }] } }),
    'spec.rollout.steps[0].setWeight',
  ],
  [
    'step with two actions',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 10, pause: {} }] } }),
    'spec.rollout.steps[] entries must set exactly one of setWeight, pause or analysis',
  ],
  [
    'fallback static without replicas',
    (s) => ({ ...s, scaling: { fallback: { behavior: 'static' } } }),
    'spec.scaling.fallback.replicas is required when spec.scaling.fallback.behavior is static',
  ],
  [
    'schedule floor above maxReplicas',
    (s) => ({
      ...s,
      scaling: {
        maxReplicas: 4,
        schedules: [{ name: 'peak', cron: '0 9 * * *', durationSeconds: 600, minReplicas: 8 }],
      },
    }),
    'spec.scaling.schedules[].minReplicas must not exceed spec.scaling.maxReplicas',
  ],
  [
    'cron with 3 fields',
    (s) => ({
      ...s,
      scaling: { schedules: [{ name: 'peak', cron: '0 9 *', durationSeconds: 600, minReplicas: 2 }] },
    }),
    'spec.scaling.schedules[0].cron',
  ],
  [
    'panic window >= stable window',
    (s) => ({ ...s, scaling: { metricsWindowSeconds: 10, panic: { windowSeconds: 10 } } }),
    'spec.scaling.panic.windowSeconds must be less than spec.scaling.metricsWindowSeconds',
  ],
  [
    'prometheus source without server',
    (s) => ({ ...s, scaling: { metrics: { source: 'prometheus' } } }),
    'spec.scaling.metrics.prometheus is required',
  ],
  [
    'operator-managed env var',
    (s) => ({ ...s, runtime: { image: 'x', env: [{ name: 'MODEL_VERSION', value: 'v9' }] } }),
    'spec.runtime.env[].name must not be a variable the operator sets',
  ],
  [
    'maxUnavailable not a number or percent',
    (s) => ({ ...s, podDisruptionBudget: { maxUnavailable: 'half' } }),
    'spec.podDisruptionBudget.maxUnavailable',
  ],
];
