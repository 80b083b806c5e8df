/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The operator's topic reconcile through the REAL broker's SASL_PLAINTEXT listener
 * (KAFKA_SASL_BROKERS): a ChatbotDeployment whose spec.messaging.kafka.secretRef names a Secret with
 * SCRAM-SHA-512 (a user this test creates with testenv/kafka.sh add-user) or PLAIN credentials gets its
 * topics; a wrong password is TopicsReady=False/KafkaUnavailable with the broker's refusal and never
 * the password, and fixing the Secret recovers. The operator runs in-process against one namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import {
  applyCr,
  condition,
  createNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  requireKafkaBrokers,
  startInProcess,
  waitFor,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { dataplaneComponents } from './components.js';
import {
  deleteTopicsAndDisconnect,
  kafkaUsers,
  partitionsOf,
  releaseAndDeleteNamespace,
} from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source .testenv/env (the broker's SASL listener) first`);
  return v;
}

const plaintext = requireKafkaBrokers();
const saslBrokers = requireEnv('KAFKA_SASL_BROKERS').split(',');
const plainUser = requireEnv('KAFKA_SASL_PLAIN_USER');
const plainPassword = requireEnv('KAFKA_SASL_PLAIN_PASSWORD');
const scramUser = `h1cred-${Date.now().toString(36)}`;
const scramPassword = randomBytes(12).toString('hex');
const wrongPassword = `wrong-${randomBytes(6).toString('hex')}`;
const topics = new Set<string>();

async function applySecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data };
  await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
}

function saslSpec(secret: string): Record<string, unknown> {
  return {
    scaling: { minReplicas: 1, maxReplicas: 2 },
    workers: { enabled: false }, // this test is about the topics/events, not the worker pool
    messaging: { kafka: { bootstrapServers: saslBrokers, secretRef: { name: secret } } },
  };
}

/** The TopicsReady condition once it has the wanted status (and reason, when given). */
async function topicsCondition(
  ns: string,
  name: string,
  status: 'True' | 'False',
  reason?: string,
): Promise<any> {
  return waitFor(
    `${name} TopicsReady=${status}${reason ? `/${reason}` : ''}`,
    async () => {
      const c = condition(await getCr(ns, name), 'TopicsReady');
      return c?.status === status && (reason === undefined || c.reason === reason) ? c : undefined;
    },
    90_000,
  );
}

describe('Kafka topics through the SASL listener (operator in-process)', () => {
  let ns: string;
  let operator: InProcessOperator;
  let admin: Admin;

  beforeAll(async () => {
    await kafkaUsers('add-user', scramUser, scramPassword);
    await installCrd();
    ns = await createNamespace('h1cred');
    operator = await startInProcess(ns, {}, [...dataplaneComponents({ topicOwnershipNamespace: ns })]);
    // Verification goes through the plaintext listener of the same broker, independent of SASL.
    admin = new Kafka({ clientId: 'h1cred-verify', brokers: plaintext, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns) await releaseAndDeleteNamespace(ns);
    if (admin) await deleteTopicsAndDisconnect(admin, topics);
    await kafkaUsers('remove-user', scramUser).catch(() => undefined);
  }, 180_000);

  it.each([
    ['scram-sha-512', 'scram', () => ({ user: scramUser, password: scramPassword })],
    ['PLAIN', 'plain', () => ({ user: plainUser, password: plainPassword })],
  ])('%s credentials from secretRef create the topics on the broker', async (mechanism, name, creds) => {
    const { user, password } = creds();
    const events = `${ns}.${name}.events`;
    const tasks = `${ns}.${name}.tasks`;
    topics.add(events).add(tasks);
    await applySecret(ns, `${name}-kafka`, { saslMechanism: mechanism, username: user, password });
    await applyCr(ns, name, saslSpec(`${name}-kafka`));

    const ready = await topicsCondition(ns, name, 'True');
    expect(ready.reason).toBe('Ready');
    expect(await partitionsOf(admin, events)).toBe(2);
    expect(await partitionsOf(admin, tasks)).toBe(2);

    // The bot pods get the same Secret's keys by reference, never as values.
    const dep = await kubectlJson(['-n', ns, 'get', 'deployment', name]);
    const env = Object.fromEntries(
      (dep.spec.template.spec.containers[0].env as any[]).map((e) => [String(e.name), e]),
    );
    expect(env.KAFKA_BROKERS.value).toBe(saslBrokers.join(','));
    expect(env.KAFKA_SASL_PASSWORD.valueFrom.secretKeyRef).toMatchObject({
      name: `${name}-kafka`,
      key: 'password',
    });
    expect(JSON.stringify(dep)).not.toContain(password);
  });

  it('a wrong password is TopicsReady=False/KafkaUnavailable naming the refusal, then recovers', async () => {
    const events = `${ns}.wrongpw.events`;
    topics.add(events).add(`${ns}.wrongpw.tasks`);
    await applySecret(ns, 'wrongpw-kafka', {
      saslMechanism: 'SCRAM-SHA-512',
      username: scramUser,
      password: wrongPassword,
    });
    await applyCr(ns, 'wrongpw', saslSpec('wrongpw-kafka'));

    const refused = await topicsCondition(ns, 'wrongpw', 'False', 'KafkaUnavailable');
    expect(refused.message).toMatch(/authentication failed/i);
    expect(refused.message).toContain('SCRAM-SHA-512');
    expect(refused.message).toContain(`for user "${scramUser}"`);
    expect(refused.message).not.toMatch(/unreachable/);
    expect(refused.message).not.toContain(wrongPassword);
    const cbd = await getCr(ns, 'wrongpw');
    expect(JSON.stringify(cbd.status)).not.toContain(wrongPassword);
    expect(cbd.status.topics).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: events, ready: false })]),
    );
    expect(await partitionsOf(admin, events)).toBeUndefined();

    // The runbook: fix the Secret; the next retry (at most a minute) logs in and creates the topics.
    await applySecret(ns, 'wrongpw-kafka', {
      saslMechanism: 'SCRAM-SHA-512',
      username: scramUser,
      password: scramPassword,
    });
    await topicsCondition(ns, 'wrongpw', 'True');
    expect(await partitionsOf(admin, events)).toBe(2);
  }, 240_000);
});
