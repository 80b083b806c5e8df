import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_BUNDLE_PATH, loadConfig, parseHostPort } from './config.js';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.maxInflight).toBe(64);
    expect(c.maxMessageBytes).toBe(4096);
    expect(c.sessionTtlSeconds).toBe(3600);
    expect(c.sessionMaxTurns).toBe(20);
    expect(c.modelBundle).toBe(DEFAULT_BUNDLE_PATH);
    expect(c.redis).toBeUndefined();
    expect(c.kafka).toBeUndefined();
    expect(c.llm).toBeUndefined();
  });

  it('reads the operator env contract', () => {
    const c = loadConfig({
      PORT: '9000',
      MODEL_VERSION: 'v7',
      MAX_INFLIGHT: '8',
      MAX_MESSAGE_BYTES: '100',
      SESSION_TTL_SECONDS: '60',
      SESSION_MAX_TURNS: '5',
      REDIS_URL: 'redis://r:6379',
      REDIS_PASSWORD: 'pw',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      KAFKA_EVENTS_TOPIC: 'ns.bot.events',
      KAFKA_TASKS_TOPIC: 'ns.bot.tasks',
      LLM_ENDPOINT: 'http://llm:8000',
      LLM_MODEL: 'm',
      LLM_API_KEY: 'sk',
      AUTH_API_KEYS: 'web:a,b',
      DRAIN_TIMEOUT_MS: '2500',
    });
    expect(c).toMatchObject({
      port: 9000,
      modelVersionOverride: 'v7',
      maxInflight: 8,
      maxMessageBytes: 100,
      sessionTtlSeconds: 60,
      sessionMaxTurns: 5,
      redis: { mode: 'standalone', url: 'redis://r:6379', password: 'pw' },
      kafka: { brokers: ['k1:9092', 'k2:9092'], eventsTopic: 'ns.bot.events', tasksTopic: 'ns.bot.tasks' },
      llm: { endpoint: 'http://llm:8000', model: 'm', apiKey: 'sk' },
      auth: {
        apiKeys: [
          { name: 'web', key: 'a' },
          { name: expect.stringMatching(/^sha256-/), key: 'b' },
        ],
      },
      drainTimeoutMs: 2500,
    });
  });

  it('prefers REDIS_CLUSTER_NODES over REDIS_URL', () => {
    const c = loadConfig({ REDIS_URL: 'redis://x', REDIS_CLUSTER_NODES: '127.0.0.1:7000,[::1]:7001' });
    expect(c.redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      password: undefined,
      tls: false,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['MAX_INFLIGHT', '0'],
    ['MAX_MESSAGE_BYTES', '-1'],
    ['LLM_ENDPOINT', 'not a url'],
    ['EVENTS_INCLUDE_TEXT', 'maybe'],
    ['REDIS_CLUSTER_NODES', 'nohost'],
    ['CHATFLEET_TRACK', 'blue'],
    ['CHATFLEET_STABLE_URL', 'ftp://x'],
    ['CHATFLEET_CANARY_URL', 'nope'],
    ['CHATFLEET_ROUTING_CONFIGMAP', 'fleet-routing'], // without POD_NAMESPACE
  ])('rejects %s=%j', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
  });

  it('parses host:port', () => {
    expect(parseHostPort('redis-0.redis:6379')).toEqual({ host: 'redis-0.redis', port: 6379 });
  });

  it('parses rollout routing settings', () => {
    expect(loadConfig({}).rollout).toEqual({
      track: 'stable',
      fleetId: '',
      routing: undefined,
      urls: {},
      forwardTimeoutMs: 2000,
    });
    const c = loadConfig({
      CHATFLEET_TRACK: 'canary',
      FLEET_ID: 'ns/bot',
      CHATFLEET_ROUTING_CONFIGMAP: 'bot-routing',
      POD_NAMESPACE: 'ns',
      CHATFLEET_STABLE_URL: 'http://bot-stable.ns.svc:80/',
      CHATFLEET_CANARY_URL: 'http://bot-canary.ns.svc:80',
      LLM_ENDPOINT: 'http://llm:8000',
      LLM_TIMEOUT_MS: '3000',
    });
    expect(c.rollout).toEqual({
      track: 'canary',
      fleetId: 'ns/bot',
      routing: { kind: 'configmap', name: 'bot-routing', namespace: 'ns', kubeconfig: undefined },
      urls: { stable: 'http://bot-stable.ns.svc:80', canary: 'http://bot-canary.ns.svc:80' },
      forwardTimeoutMs: 5000,
    });
    expect(loadConfig({ CHATFLEET_ROUTING_FILE: '/tmp/r.json' }).rollout.routing).toEqual({
      kind: 'file',
      path: '/tmp/r.json',
    });
    expect(() =>
      loadConfig({ CHATFLEET_ROUTING_FILE: '/x', CHATFLEET_ROUTING_CONFIGMAP: 'y', POD_NAMESPACE: 'n' }),
    ).toThrow(/only one/);
  });
});
