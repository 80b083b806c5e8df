import { describe, expect, it } from '@jest/globals';
import { shutdownBudgets } from './defaults.js';
import { minimalCr } from './fixtures.js';
import { containerEnv } from './pod-template.js';
import { runtimeConfigData } from './runtime-config.js';

describe('runtime env', () => {
  it('puts the shared contract env into the ConfigMap with defaults (track-specific env is on the container)', () => {
    expect(runtimeConfigData(minimalCr())).toEqual({
      PORT: '8080',
      FLEET_ID: 'team-a/support',
      MAX_INFLIGHT: '64',
      MAX_MESSAGE_BYTES: '4096',
      RATE_LIMIT_PER_MINUTE: '120',
      SESSION_TTL_SECONDS: '3600',
      SESSION_MAX_TURNS: '20',
      LOG_LEVEL: 'info',
      DRAIN_TIMEOUT_MS: '15600',
      CLOSE_TIMEOUT_MS: '2400',
      EVENTS_FLUSH_TIMEOUT_MS: '6000',
    });
  });

  it.each([
    { sessions: {}, want: undefined },
    { sessions: { summarizeAfterTurns: 12 }, want: '12' },
  ])(
    'SUMMARIZE_AFTER_TURNS only when spec.sessions.summarizeAfterTurns is set ($want)',
    ({ sessions, want }) => {
      expect(runtimeConfigData(minimalCr({ sessions })).SUMMARIZE_AFTER_TURNS).toBe(want);
    },
  );

  it('passes the auth, rate-limit and proxy settings of the CR to the runtime', () => {
    const cbd = minimalCr({
      runtime: {
        image: 'i',
        rateLimitPerMinute: 0,
        trustedProxies: ['10.0.0.0/8', '192.168.1.1'],
        auth: {
          jwt: {
            jwksUrl: 'https://idp.example/jwks.json',
            issuer: 'https://idp.example',
            audiences: ['chat', 'chat-admin'],
            secretRef: { name: 'jwt', key: 'hs256' },
          },
        },
      },
    });
    expect(runtimeConfigData(cbd)).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '0',
      TRUSTED_PROXIES: '10.0.0.0/8,192.168.1.1',
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
      AUTH_JWT_ISSUER: 'https://idp.example',
      AUTH_JWT_AUDIENCE: 'chat,chat-admin',
      AUTH_JWT_CLOCK_SKEW_SECONDS: '30',
    });
    expect(containerEnv(cbd, [])).toContainEqual({
      name: 'AUTH_JWT_SECRET',
      valueFrom: { secretKeyRef: { name: 'jwt', key: 'hs256' } },
    });
    expect(containerEnv(cbd, []).map((e) => e.name)).not.toContain('AUTH_API_KEYS');
  });

  it('adds LLM settings to the ConfigMap and the bundle path to the container when set', () => {
    const cbd = minimalCr({
      runtime: { image: 'i', llm: { endpoint: 'http://llm', model: 'small' } },
      model: { name: 'm', version: 'v', bundleConfigMap: 'b' },
    });
    expect(runtimeConfigData(cbd)).toMatchObject({ LLM_ENDPOINT: 'http://llm', LLM_MODEL: 'small' });
    expect(containerEnv(cbd, [])).toContainEqual({
      name: 'MODEL_BUNDLE',
      value: '/etc/chatfleet/model/bundle.json',
    });
  });

  it('wires secrets by reference, contributed env, and lets user env win on a name clash', () => {
    const cbd = minimalCr({
      runtime: {
        image: 'i',
        llm: { endpoint: 'http://llm', apiKeySecretRef: { name: 'llm', key: 'k' } },
        auth: { apiKeysSecretRef: { name: 'auth', key: 'keys' } },
        env: [{ name: 'REDIS_URL', value: 'override' }],
      },
    });
    const env = containerEnv(cbd, [
      { name: 'REDIS_URL', value: 'redis://managed' },
      { name: 'KAFKA_BROKERS', value: 'b:9092' },
    ]);
    expect(env).toEqual([
      { name: 'MODEL_VERSION', value: 'v7' },
      { name: 'MODEL_NAME', value: 'support-bot' },
      { name: 'CHATFLEET_TRACK', value: 'stable' },
      { name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'k' } } },
      { name: 'AUTH_API_KEYS', valueFrom: { secretKeyRef: { name: 'auth', key: 'keys' } } },
      { name: 'REDIS_URL', value: 'override' },
      { name: 'KAFKA_BROKERS', value: 'b:9092' },
    ]);
  });

  const budgets = (grace: number, drain: number) =>
    shutdownBudgets(
      minimalCr({ runtime: { image: 'i', terminationGracePeriodSeconds: grace, drainSeconds: drain } }).spec,
    );

  it.each([
    [30, 5, { drainMs: 15_600, closeMs: 2400, flushMs: 6000 }],
    [10, 5, { drainMs: 2600, closeMs: 400, flushMs: 1000 }],
    [6, 5, { drainMs: 520, closeMs: 80, flushMs: 200 }],
    [600, 5, { drainMs: 579_000, closeMs: 5000, flushMs: 10_000 }],
  ])('grace %is, drain %is -> shutdown budgets %j', (grace, drain, want) => {
    expect(budgets(grace, drain)).toEqual(want);
  });

  it('always fits the budgets into the time between SIGTERM and SIGKILL, with headroom', () => {
    for (const grace of [1, 2, 3, 5, 7, 10, 30, 61, 600, 3600]) {
      for (const drain of [0, 1, 2, 5, 29, 599].filter((d) => d < grace)) {
        const b = budgets(grace, drain);
        const window = (grace - drain) * 1000;
        expect(b.drainMs + b.closeMs + b.flushMs).toBeLessThanOrEqual(window - Math.min(1000, window / 5));
        expect(Math.min(b.drainMs, b.closeMs, b.flushMs)).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
