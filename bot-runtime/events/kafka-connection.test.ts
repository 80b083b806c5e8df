import { describe, expect, it } from '@jest/globals';
import { rootCertificates } from 'node:tls';
import { kafkaConnectionFromSecret } from '../../operator/dataplane/kafka/credentials.js';
import { isKafkaUnavailable } from '../../operator/dataplane/kafka/errors.js';
import {
  describeKafkaAuthFailure,
  isKafkaAuthFailure,
  kafkaConnectionOptions,
  pemCertificateCount,
  saslMechanism,
} from './kafka-connection.js';

const CA = rootCertificates[0]!;
const sasl = { mechanism: 'scram-sha-512', username: 'bot', password: 'pw' } as const;

/** A kafkajs-shaped error (name, type) without kafkajs: only the fields the classifier reads. */
function kafkaError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('kafkaConnectionOptions (shared by the bot runtime and the operator)', () => {
  it.each([
    ['nothing', { tls: false }, {}],
    ['TLS, system CAs', { tls: true }, { ssl: true }],
    ['TLS with a CA', { tls: false, ca: CA }, { ssl: { ca: [CA] } }],
    ['SASL over plaintext', { tls: false, sasl }, { sasl }],
    ['SASL over TLS', { tls: true, sasl }, { ssl: true, sasl }],
  ])('%s', (_name, credentials, expected) => {
    expect(kafkaConnectionOptions(credentials)).toEqual(expected);
  });

  it.each([
    ['plain', 'plain'],
    [' SCRAM-SHA-512 ', 'scram-sha-512'],
    ['Scram-Sha-256', 'scram-sha-256'],
    ['gssapi', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('saslMechanism(%j) is %j', (raw, expected) => {
    expect(saslMechanism(raw)).toBe(expected);
  });

  it('the operator builds the same options from the Secret as the pods from their env', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const data = {
      saslMechanism: b64('PLAIN'),
      username: b64('u'),
      password: b64('p'),
      tls: b64('True'),
      ca: b64(CA),
    };
    expect(kafkaConnectionFromSecret(data)).toEqual(
      kafkaConnectionOptions({
        tls: true,
        ca: CA,
        sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      }),
    );
    // Unknown mechanism: no SASL at all (the broker's refusal then says so).
    expect(kafkaConnectionFromSecret({ saslMechanism: b64('kerberos'), username: b64('u') })).toEqual({});
  });
});

describe('pemCertificateCount', () => {
  it.each([
    ['one certificate', CA, 1],
    ['a bundle with text around', `root:\n${CA}\n${rootCertificates[1]!}trailing`, 2],
    ['no certificate', 'hello', 0],
    ['a private key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 0],
  ])('%s', (_name, pem, count) => {
    expect(pemCertificateCount(pem)).toBe(count);
  });

  it('throws on a certificate block that does not parse, without quoting it', () => {
    const bad = '-----BEGIN CERTIFICATE-----\nc2VjcmV0LWNvbnRlbnQ=\n-----END CERTIFICATE-----';
    expect(() => pemCertificateCount(`${CA}${bad}`)).toThrow('certificate 2 of 2 does not parse');
    expect(() => pemCertificateCount(bad)).not.toThrow(/c2VjcmV0/);
  });
});

describe('Kafka authentication failures', () => {
  const refused = kafkaError(
    'KafkaJSSASLAuthenticationError',
    'SASL SCRAM SHA512 authentication failed: invalid credentials',
  );
  it.each([
    ['a refused login', refused, true],
    ['wrapped in a cause', new Error('connect failed', { cause: refused }), true],
    ['as originalError', kafkaError('KafkaJSNonRetriableError', 'x', { originalError: refused }), true],
    [
      'mechanism not enabled',
      kafkaError('KafkaJSProtocolError', 'not supported', { type: 'UNSUPPORTED_SASL_MECHANISM' }),
      true,
    ],
    ['connection refused', kafkaError('KafkaJSConnectionError', 'Connection error: ECONNREFUSED'), false],
    ['not an error', 'SASL', false],
  ])('%s: %j', (_name, err, expected) => {
    expect(isKafkaAuthFailure(err)).toBe(expected);
  });

  it('the operator reports a refused login as KafkaUnavailable (retried like an outage)', () => {
    expect(isKafkaUnavailable(refused)).toBe(true);
    expect(
      isKafkaUnavailable(kafkaError('KafkaJSProtocolError', 'x', { type: 'TOPIC_AUTHORIZATION_FAILED' })),
    ).toBe(false);
  });

  it('names the user and the mechanism, never the password', () => {
    const text = describeKafkaAuthFailure(new Error('x', { cause: refused }), sasl);
    expect(text).toBe(
      'authentication failed for user "bot" with mechanism SCRAM-SHA-512: ' +
        'SASL SCRAM SHA512 authentication failed: invalid credentials',
    );
    expect(text).not.toContain('pw');
    expect(describeKafkaAuthFailure(kafkaError('KafkaJSConnectionError', 'down'), sasl)).toBeUndefined();
    expect(describeKafkaAuthFailure(refused, undefined)).toContain(
      'user (none) with mechanism (no SASL configured)',
    );
  });
});
