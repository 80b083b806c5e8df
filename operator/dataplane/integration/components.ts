// Test support: the data plane's components as operator/main.ts registers them (Redis first, then
// Kafka topics), for integration tests that run the operator in process (startInProcess).
import type { ComponentSource } from '../../controller/manager.js';
import { KafkaTopicsComponent, RedisComponent } from '../index.js';
import type { KafkaTopicsOptions } from '../index.js';

export function dataplaneComponents(options: KafkaTopicsOptions): ComponentSource[] {
  return [
    (client, caches) => new RedisComponent(client, { caches }),
    (client) => new KafkaTopicsComponent(client, options),
  ];
}
