import { describe, expect, it } from '@jest/globals';
import { rootCertificates } from 'node:tls';
import { ConfigError, loadConfig } from './config.js';

// Real certificates (Node's bundled Mozilla roots), so the CA check parses, not only matches armour.
const CA = rootCertificates[0]!;
const CA_BUNDLE = `${rootCertificates[1]!}\n${rootCertificates[2]!}\n`;
const BROKERS = { KAFKA_BROKERS: 'k:9092' };
const SCRAM = {
  ...BROKERS,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'bot',
  KAFKA_SASL_PASSWORD: ' s3cret pass ',
};

describe('loadConfig: Kafka credentials (KAFKA_SASL_*, KAFKA_TLS, KAFKA_TLS_CA)', () => {
  it.each([
    ['none: plaintext', BROKERS, { tls: false }],
    [
      'SCRAM-SHA-512, password kept exactly (not trimmed)',
      SCRAM,
      { sasl: { mechanism: 'scram-sha-512', username: 'bot', password: ' s3cret pass ' }, tls: false },
    ],
    [
      'mechanism in capitals',
      { ...SCRAM, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' },
      { sasl: { mechanism: 'scram-sha-256', username: 'bot', password: ' s3cret pass ' }, tls: false },
    ],
    [
      'PLAIN over TLS',
      { ...SCRAM, KAFKA_SASL_MECHANISM: 'Plain', KAFKA_TLS: 'true' },
      { sasl: { mechanism: 'plain', username: 'bot', password: ' s3cret pass ' }, tls: true },
    ],
    ['TLS alone', { ...BROKERS, KAFKA_TLS: 'TRUE' }, { tls: true }],
    ['KAFKA_TLS=false', { ...BROKERS, KAFKA_TLS: 'false' }, { tls: false }],
    ['a CA implies TLS', { ...BROKERS, KAFKA_TLS_CA: CA }, { tls: true, ca: CA }],
    ['a CA bundle', { ...BROKERS, KAFKA_TLS: 'true', KAFKA_TLS_CA: CA_BUNDLE }, { tls: true, ca: CA_BUNDLE }],
    ['empty values are unset', { ...BROKERS, KAFKA_SASL_USERNAME: '', KAFKA_TLS: ' ' }, { tls: false }],
  ])('%s', (_name, env, credentials) => {
    expect(loadConfig(env).kafka?.credentials).toEqual(credentials);
  });

  it('reads no credentials without KAFKA_BROKERS (no Kafka at all)', () => {
    expect(loadConfig({ KAFKA_SASL_MECHANISM: 'bogus' }).kafka).toBeUndefined();
  });

  const password = 'hunter2-never-echoed';
  it.each([
    [
      'unknown mechanism',
      { ...SCRAM, KAFKA_SASL_MECHANISM: 'gssapi' },
      /KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"/,
    ],
    ['OAUTHBEARER (not offered)', { ...SCRAM, KAFKA_SASL_MECHANISM: 'oauthbearer' }, /KAFKA_SASL_MECHANISM/],
    [
      'mechanism without username',
      { ...SCRAM, KAFKA_SASL_USERNAME: undefined },
      /KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_USERNAME/,
    ],
    [
      'mechanism without password',
      { ...SCRAM, KAFKA_SASL_PASSWORD: '' },
      /KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_PASSWORD/,
    ],
    [
      'mechanism alone',
      { ...BROKERS, KAFKA_SASL_MECHANISM: 'plain' },
      /KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME/,
    ],
    [
      'username without mechanism',
      { ...BROKERS, KAFKA_SASL_USERNAME: 'bot' },
      /KAFKA_SASL_USERNAME is set without KAFKA_SASL_MECHANISM/,
    ],
    [
      'password without mechanism',
      { ...BROKERS, KAFKA_SASL_PASSWORD: password },
      /KAFKA_SASL_PASSWORD is set without KAFKA_SASL_MECHANISM/,
    ],
    [
      'username and password without mechanism',
      { ...BROKERS, KAFKA_SASL_USERNAME: 'bot', KAFKA_SASL_PASSWORD: password },
      /KAFKA_SASL_USERNAME is set without KAFKA_SASL_MECHANISM/,
    ],
    [
      'oversized password',
      { ...SCRAM, KAFKA_SASL_PASSWORD: 'x'.repeat(4097) },
      /KAFKA_SASL_PASSWORD is longer/,
    ],
    [
      'oversized username',
      { ...SCRAM, KAFKA_SASL_USERNAME: 'u'.repeat(1025) },
      /KAFKA_SASL_USERNAME is longer/,
    ],
    ['KAFKA_TLS=yes', { ...BROKERS, KAFKA_TLS: 'yes' }, /KAFKA_TLS must be "true" or "false", got "yes"/],
    ['KAFKA_TLS=1', { ...BROKERS, KAFKA_TLS: '1' }, /KAFKA_TLS must be "true" or "false"/],
    ['CA that is not PEM', { ...BROKERS, KAFKA_TLS_CA: password }, /KAFKA_TLS_CA holds no PEM certificate/],
    [
      'CA that is a private key',
      { ...BROKERS, KAFKA_TLS_CA: `-----BEGIN PRIVATE KEY-----\n${password}\n-----END PRIVATE KEY-----\n` },
      /KAFKA_TLS_CA holds no PEM certificate/,
    ],
    [
      'CA with a corrupt certificate',
      {
        ...BROKERS,
        KAFKA_TLS_CA: `${CA}\n-----BEGIN CERTIFICATE-----\nTUlJQm${password}\n-----END CERTIFICATE-----\n`,
      },
      /KAFKA_TLS_CA: certificate 2 of 2 does not parse/,
    ],
    [
      'CA with KAFKA_TLS=false',
      { ...BROKERS, KAFKA_TLS: 'false', KAFKA_TLS_CA: CA },
      /KAFKA_TLS is "false" but KAFKA_TLS_CA is set/,
    ],
    [
      'oversized CA',
      { ...BROKERS, KAFKA_TLS_CA: CA.repeat((1024 * 1024) / CA.length + 1) },
      /KAFKA_TLS_CA is longer/,
    ],
  ])('refuses %s', (_name, env, message) => {
    const load = (): unknown => loadConfig(env);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    let text = '';
    try {
      load();
    } catch (err) {
      text = (err as Error).message;
    }
    expect(text).not.toContain(password);
  });
});

describe('loadConfig: Redis TLS (REDIS_TLS, rediss://)', () => {
  it.each([
    ['standalone, no TLS', { REDIS_URL: 'redis://r:6379' }, { mode: 'standalone', tls: false }],
    [
      'standalone, REDIS_TLS',
      { REDIS_URL: 'redis://r:6379', REDIS_TLS: 'true' },
      { mode: 'standalone', tls: true },
    ],
    ['rediss:// URL', { REDIS_URL: 'rediss://r:6380' }, { mode: 'standalone', tls: true }],
    ['REDISS:// URL', { REDIS_URL: 'REDISS://r:6380', REDIS_TLS: 'True' }, { mode: 'standalone', tls: true }],
    [
      'REDIS_TLS=false',
      { REDIS_URL: 'redis://r:6379', REDIS_TLS: 'false' },
      { mode: 'standalone', tls: false },
    ],
    [
      'cluster, REDIS_TLS',
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'true' },
      { mode: 'cluster', tls: true },
    ],
    ['cluster, no TLS', { REDIS_CLUSTER_NODES: 'a:7000' }, { mode: 'cluster', tls: false }],
  ])('%s', (_name, env, redis) => {
    expect(loadConfig(env).redis).toMatchObject(redis);
  });

  it.each([
    [
      { REDIS_URL: 'rediss://r:6380', REDIS_TLS: 'false' },
      /REDIS_TLS is "false" but REDIS_URL is rediss:\/\//,
    ],
    [{ REDIS_URL: 'redis://r:6379', REDIS_TLS: 'on' }, /REDIS_TLS must be "true" or "false", got "on"/],
    [{ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'maybe' }, /REDIS_TLS must be "true" or "false"/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
