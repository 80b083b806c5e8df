import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, type HttpTimeouts } from './config.js';

/** config.http in the order of its HTTP_* variables: headers, request, keep-alive, connection. */
function timeouts(headers: number, request: number, keepAlive: number, connection: number): HttpTimeouts {
  return {
    headersTimeoutMs: headers,
    requestTimeoutMs: request,
    keepAliveTimeoutMs: keepAlive,
    connectionTimeoutMs: connection,
  };
}

/** The bounds of docs/bot-runtime.md, Abuse resistance: defaults, overrides and refused values. */
describe('loadConfig: abuse-resistance bounds', () => {
  it('has bounded defaults', () => {
    const c = loadConfig({});
    expect(c.classifierMemoMaxBytes).toBe(16 * 1024 * 1024);
    expect(c.maxWsConnections).toBe(2000);
    expect(c.wsIdleTimeoutMs).toBe(300_000);
    expect(c.eventsBufferMaxBytes).toBe(64 * 1024 * 1024);
    expect(c.auth).toMatchObject({ jwtClockSkewSeconds: 30, jwksCooldownMs: 30_000, jwksUrl: undefined });
    expect(loadConfig({ KAFKA_BROKERS: 'k:9092' }).kafka?.maxMessageBytes).toBe(1024 * 1024);
    expect(
      loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_MAX_MESSAGE_BYTES: '2000000' }).kafka?.maxMessageBytes,
    ).toBe(2_000_000);
    expect(c.http).toEqual(timeouts(5000, 10_000, 72_000, 77_000));
  });

  it('reads overrides', () => {
    const http = ['HEADERS', 'REQUEST', 'KEEPALIVE', 'CONNECTION'].map((k) => `HTTP_${k}_TIMEOUT_MS`);
    const values = ['2000', '3000', '4000', '60000'];
    const env = Object.fromEntries(http.map((k, i) => [k, values[i]!]));
    const c = loadConfig({ CLASSIFIER_MEMO_MAX_BYTES: '1024', ...env });
    expect(c.classifierMemoMaxBytes).toBe(1024);
    expect(c.http).toEqual(timeouts(2000, 3000, 4000, 60_000));
  });

  it('keeps the idle-socket timeout above the slowest turn', () => {
    // forward timeout 2000 + LLM 80000, plus 4 Redis steps of 1000
    expect(loadConfig({ LLM_ENDPOINT: 'http://127.0.0.1:1', LLM_TIMEOUT_MS: '80000' }).http).toMatchObject({
      connectionTimeoutMs: 91_000,
    });
    expect(loadConfig({ HTTP_KEEPALIVE_TIMEOUT_MS: '5000' }).http.connectionTimeoutMs).toBe(11_000);
  });

  it.each([
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000' }, /HTTP_HEADERS_TIMEOUT_MS must not exceed/],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, /HTTP_REQUEST_TIMEOUT_MS must be between/],
    [{ HTTP_CONNECTION_TIMEOUT_MS: '1000' }, /HTTP_CONNECTION_TIMEOUT_MS must be between/],
    [{ CLASSIFIER_MEMO_MAX_BYTES: '-1' }, /CLASSIFIER_MEMO_MAX_BYTES must be between/],
    [{ MAX_WS_CONNECTIONS: '0' }, /MAX_WS_CONNECTIONS must be between/],
    [{ EVENTS_BUFFER_MAX_BYTES: '10' }, /EVENTS_BUFFER_MAX_BYTES must be between/],
    [{ AUTH_JWKS_URL: 'not a url' }, /AUTH_JWKS_URL is not a URL/],
    [{ AUTH_JWKS_URL: 'file:///etc/jwks.json' }, /AUTH_JWKS_URL must be http/],
    [{ AUTH_JWT_CLOCK_SKEW_SECONDS: '3600' }, /AUTH_JWT_CLOCK_SKEW_SECONDS must be between/],
    [{ KAFKA_BROKERS: 'k:9092', KAFKA_MAX_MESSAGE_BYTES: '1' }, /KAFKA_MAX_MESSAGE_BYTES must be between/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
