/**
 * Connection settings for the operator's own admin client, from spec.messaging.kafka.secretRef.
 * The reconciler reads the Secret (it owns the Kubernetes client) and passes `data` here.
 */
import type { SASLOptions } from 'kafkajs';

export interface KafkaConnection {
  ssl?: { ca?: string[] } | boolean;
  sasl?: SASLOptions;
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const raw = data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

/** Secret keys: saslMechanism (plain | scram-sha-256 | scram-sha-512), username, password, tls ("true"), ca (PEM). */
export function kafkaConnectionFromSecret(data: Record<string, string> | undefined): KafkaConnection {
  const mechanism = decode(data, 'saslMechanism')?.toLowerCase();
  const username = decode(data, 'username') ?? '';
  const password = decode(data, 'password') ?? '';
  const ca = decode(data, 'ca');
  const tls = decode(data, 'tls') === 'true' || ca !== undefined;
  const connection: KafkaConnection = {};
  if (tls) connection.ssl = ca ? { ca: [ca] } : true;
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    connection.sasl = { mechanism, username, password };
  }
  return connection;
}
