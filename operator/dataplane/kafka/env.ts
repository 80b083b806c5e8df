/** Bot pod env wiring for Kafka (CONTRACT.md "Env the operator sets on bot pods"). Credentials only via secretKeyRef. */
import type { V1EnvVar } from '@kubernetes/client-node';
import type { ChatbotDeployment } from '../types.js';
import { desiredTopics, topicFor } from './topics.js';

/** Secret keys read from spec.messaging.kafka.secretRef, and the env var each one becomes. */
export const KAFKA_SECRET_KEYS = {
  saslMechanism: 'KAFKA_SASL_MECHANISM',
  username: 'KAFKA_SASL_USERNAME',
  password: 'KAFKA_SASL_PASSWORD',
  tls: 'KAFKA_TLS',
  ca: 'KAFKA_TLS_CA',
} as const;

/** [] when the CR has no Kafka: the bot then runs without background work (chat never needs Kafka). */
export function kafkaEnv(cbd: ChatbotDeployment): V1EnvVar[] {
  const kafka = cbd.spec.messaging?.kafka;
  if (!kafka) return [];
  const topics = desiredTopics(cbd);
  const env: V1EnvVar[] = [{ name: 'KAFKA_BROKERS', value: kafka.bootstrapServers.join(',') }];
  const events = topicFor(topics, 'events');
  const tasks = topicFor(topics, 'tasks');
  if (events) env.push({ name: 'KAFKA_EVENTS_TOPIC', value: events });
  if (tasks) env.push({ name: 'KAFKA_TASKS_TOPIC', value: tasks });
  const secret = kafka.secretRef?.name;
  if (secret) {
    for (const [key, name] of Object.entries(KAFKA_SECRET_KEYS)) {
      env.push({ name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } });
    }
  }
  return env;
}
