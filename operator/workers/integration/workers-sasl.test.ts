/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The worker pool's lag read with the fleet's Kafka credentials, through the REAL broker's SASL_PLAINTEXT
 * listener (KAFKA_SASL_BROKERS, the test environment's PLAIN user): the WorkersComponent reads
 * spec.messaging.kafka.secretRef like the topic manager does, so the lag is read and WorkersReady turns
 * True; the worker pods get the credentials by secretKeyRef, never as values; a wrong password is
 * WorkersReady=False/LagUnavailable (no data, never lag 0) with the count kept, and fixing the Secret
 * recovers. The operator runs in-process against one namespace, with the data plane.
 */
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  waitFor,
  withOperatorNamespace,
} from '../../integration/support.js';
import { dataplaneComponents } from '../../dataplane/integration/components.js';
import { deployment, envOf } from '../../dataplane/integration/operator-dataplane-support.js';
import { createWorkersComponent } from '../index.js';

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source .testenv/env (the broker's SASL listener) first`);
  return v;
}

const saslBrokers = requireEnv('KAFKA_SASL_BROKERS').split(',');
const user = requireEnv('KAFKA_SASL_PLAIN_USER');
const password = requireEnv('KAFKA_SASL_PLAIN_PASSWORD');

async function applySecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data };
  await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
}

async function workersReady(ns: string, name: string, status: 'True' | 'False'): Promise<any> {
  const c = condition(await getCr(ns, name), 'WorkersReady');
  return c?.status === status ? c : undefined;
}

describe('worker lag read with the fleet Kafka credentials (SASL PLAIN)', () => {
  const env = withOperatorNamespace('cf-wsasl', {
    components: (ns) => [
      ...dataplaneComponents({ topicOwnershipNamespace: ns }),
      // Credentials are reused for 60 s in production while reads succeed; 3 s keeps this test short.
      createWorkersComponent({ pollMs: 1000, credentialsMaxAgeMs: 3000 }),
    ],
  });

  it('reads the lag with the Secret, refuses a wrong password as LagUnavailable, recovers', async () => {
    const ns = env.ns;
    await applySecret(ns, 'kafka-creds', { saslMechanism: 'plain', username: user, password });
    await applyCr(ns, 'sasl', {
      scaling: { minReplicas: 1, maxReplicas: 2 },
      messaging: {
        kafka: {
          bootstrapServers: saslBrokers,
          secretRef: { name: 'kafka-creds' },
          deletionPolicy: 'Delete',
        },
      },
      workers: { minReplicas: 1, maxReplicas: 2 },
    });
    await waitFor('WorkersReady=True', () => workersReady(ns, 'sasl', 'True'), 90_000);
    expect((await getCr(ns, 'sasl')).status.workers).toMatchObject({ lag: 0, partitions: 2 });
    const workerEnv = envOf(await deployment(ns, 'sasl-worker'));
    expect(workerEnv.KAFKA_SASL_PASSWORD.valueFrom.secretKeyRef).toMatchObject({
      name: 'kafka-creds',
      key: 'password',
    });
    expect(JSON.stringify(workerEnv)).not.toContain(password);

    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    await applySecret(ns, 'kafka-creds', { saslMechanism: 'plain', username: user, password: wrong });
    // The Secret is read again once the credentials are credentialsMaxAgeMs old: no spec change needed.
    const blind = await waitFor('WorkersReady=False', () => workersReady(ns, 'sasl', 'False'), 60_000);
    expect(blind.reason).toBe('LagUnavailable');
    expect(blind.message).not.toContain(wrong);
    const status = (await getCr(ns, 'sasl')).status.workers;
    expect(status.lag).toBeUndefined();
    expect(status.desiredReplicas).toBe(1);

    await applySecret(ns, 'kafka-creds', { saslMechanism: 'plain', username: user, password });
    await waitFor('WorkersReady=True again', () => workersReady(ns, 'sasl', 'True'), 60_000);
    await kubectl(['-n', ns, 'delete', 'cbd', 'sasl', '--wait=true', '--timeout=60s']);
  }, 240_000);
});
