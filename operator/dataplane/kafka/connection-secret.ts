/**
 * The Kafka admin connection from spec.messaging.kafka.secretRef, read by name (no Secret watch). A
 * missing Secret is said in every failure message.
 *
 * A namespace deletion deletes the Secret in the same pass as it marks the CR deleted, so the Secret
 * is usually gone when the finalizer runs. Deleting topics (`deleting`) then uses the credentials
 * last read from it for this CR uid (kept in memory only; the topics were created with them).
 * Without them (e.g. the operator restarted meanwhile) deletion retries until the bound and leaves
 * the topics behind. Reconciling a live CR never does this: deleting the Secret revokes access.
 */
import type { KubeClient } from '../../kube/client.js';
import { Resources } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import { namespaceOf } from '../identity.js';
import type { ChatbotDeployment } from '../types.js';
import { kafkaConnectionFromSecret } from './credentials.js';
import type { KafkaConnection } from './credentials.js';
import type { KafkaDeps } from './reconcile.js';

export interface CredentialsState {
  /** The Kafka credentials last read from spec.messaging.kafka.secretRef. */
  kafkaCredentials?: { uid: string; ref: string; connection: KafkaConnection };
}

export async function kafkaConnection(
  kube: Pick<KubeClient, 'get'>,
  cbd: ChatbotDeployment,
  state: CredentialsState,
  opts: { deleting?: boolean } = {},
): Promise<Pick<KafkaDeps, 'connection' | 'connectionProblem'>> {
  const ref = cbd.spec.messaging?.kafka?.secretRef?.name;
  if (!ref) return {};
  const secret = await kube.get<KubeObject & { data?: Record<string, string> }>(
    Resources.Secret,
    namespaceOf(cbd),
    ref,
  );
  const uid = cbd.metadata.uid ?? '';
  if (secret) {
    const connection = kafkaConnectionFromSecret(secret.data);
    state.kafkaCredentials = { uid, ref, connection };
    return { connection };
  }
  const known = state.kafkaCredentials;
  if (opts.deleting && known?.uid === uid && known.ref === ref) {
    return {
      connection: known.connection,
      connectionProblem: `the credentials Secret ${ref} does not exist; used the credentials last read from it`,
    };
  }
  return {
    connection: kafkaConnectionFromSecret(undefined),
    connectionProblem: `the credentials Secret ${ref} does not exist`,
  };
}
