/**
 * Connection settings for the operator's own admin client, from spec.messaging.kafka.secretRef.
 * The reconciler reads the Secret (it owns the Kubernetes client) and passes `data` here. The
 * kafkajs options are built by the same code the bot pods use (bot-runtime/events/kafka-connection.ts),
 * so the operator and the fleet log in the same way with the same Secret.
 */
import {
  kafkaConnectionOptions,
  saslMechanism,
  type KafkaConnection,
  type KafkaCredentials,
} from '../../../bot-runtime/events/kafka-connection.js';

export type { KafkaConnection } from '../../../bot-runtime/events/kafka-connection.js';

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const raw = data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

/** Secret keys: saslMechanism (plain | scram-sha-256 | scram-sha-512), username, password, tls ("true"), ca (PEM). */
export function kafkaConnectionFromSecret(data: Record<string, string> | undefined): KafkaConnection {
  const mechanism = saslMechanism(decode(data, 'saslMechanism'));
  const ca = decode(data, 'ca');
  const credentials: KafkaCredentials = {
    tls: decode(data, 'tls')?.trim().toLowerCase() === 'true',
    ...(ca !== undefined && { ca }),
    ...(mechanism && {
      sasl: { mechanism, username: decode(data, 'username') ?? '', password: decode(data, 'password') ?? '' },
    }),
  };
  return kafkaConnectionOptions(credentials);
}
