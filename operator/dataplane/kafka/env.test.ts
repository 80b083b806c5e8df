import { describe, expect, it } from '@jest/globals';
import type { KafkaSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import { kafkaConnectionFromSecret } from './credentials.js';
import { kafkaEnv } from './env.js';
import { isKafkaUnavailable } from './errors.js';
import { needsTopicFinalizer, topicsWaitForFinalizer, TOPIC_FINALIZER } from './reconcile.js';

function cbd(kafka?: KafkaSpecInput): ChatbotDeployment {
  return testCbd({ metadata: { uid: 'u' }, ...(kafka ? { kafka } : {}) });
}

describe('kafkaEnv', () => {
  it('brokers, default topic names and credentials only by secretKeyRef', () => {
    const env = kafkaEnv(cbd({ bootstrapServers: ['a:9092', 'b:9092'], secretRef: { name: 'kafka-creds' } }));
    expect(env.slice(0, 3)).toEqual([
      { name: 'KAFKA_BROKERS', value: 'a:9092,b:9092' },
      { name: 'KAFKA_EVENTS_TOPIC', value: 'bots.support.events' },
      { name: 'KAFKA_TASKS_TOPIC', value: 'bots.support.tasks' },
    ]);
    const secretEnv = env.slice(3);
    expect(secretEnv.map((e) => e.name)).toEqual([
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_TLS',
      'KAFKA_TLS_CA',
    ]);
    expect(
      secretEnv.every((e) => e.value === undefined && e.valueFrom?.secretKeyRef?.name === 'kafka-creds'),
    ).toBe(true);
  });
  it('no Kafka -> no env', () => {
    expect(kafkaEnv(cbd())).toEqual([]);
  });
});

describe('finalizer, credentials, error classification', () => {
  it('finalizer only with deletionPolicy Delete', () => {
    expect(needsTopicFinalizer(cbd())).toBe(false);
    expect(needsTopicFinalizer(cbd({ bootstrapServers: ['b'] }))).toBe(false);
    expect(needsTopicFinalizer(cbd({ bootstrapServers: ['b'], deletionPolicy: 'Retain' }))).toBe(false);
    expect(needsTopicFinalizer(cbd({ bootstrapServers: ['b'], deletionPolicy: 'Delete' }))).toBe(true);
  });

  it('topics wait for a wanted finalizer until the API server has it', () => {
    const del = cbd({ bootstrapServers: ['b'], deletionPolicy: 'Delete' });
    const stored = { ...del, metadata: { ...del.metadata, finalizers: ['other', TOPIC_FINALIZER] } };
    expect(topicsWaitForFinalizer(del)).toBe(true);
    expect(topicsWaitForFinalizer(stored)).toBe(false);
    expect(topicsWaitForFinalizer(cbd({ bootstrapServers: ['b'] }))).toBe(false);
    expect(topicsWaitForFinalizer(cbd())).toBe(false);
  });

  it('parses SASL/TLS from base64 Secret data', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(
      kafkaConnectionFromSecret({
        saslMechanism: b64('SCRAM-SHA-512'),
        username: b64('u'),
        password: b64('p'),
        tls: b64('true'),
      }),
    ).toEqual({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(kafkaConnectionFromSecret(undefined)).toEqual({});
  });

  it('classifies connection failures anywhere in the cause chain', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const conn = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    const retries = Object.assign(new Error('retries exceeded', { cause: conn }), {
      name: 'KafkaJSNumberOfRetriesExceeded',
    });
    expect(isKafkaUnavailable(refused)).toBe(true);
    expect(isKafkaUnavailable(retries)).toBe(true);
    const protocol = Object.assign(new Error('Invalid config'), {
      name: 'KafkaJSProtocolError',
      type: 'INVALID_CONFIG',
    });
    expect(isKafkaUnavailable(protocol)).toBe(false);
    expect(isKafkaUnavailable('x')).toBe(false);
  });
});
