/**
 * The data plane's pod env as a pure function of the CR, for pods other than the bots' (the bots get it
 * through the components' `env` contributions): the worker pods (operator/workers) need the same Redis
 * and Kafka wiring, from the same code.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { kafkaEnv } from './kafka/env.js';
import { redisEnv } from './redis/env.js';
import type { ChatbotDeployment } from './types.js';

/** REDIS_* and KAFKA_* exactly as the bot pods get them. */
export function dataPlaneEnv(cbd: ChatbotDeployment): V1EnvVar[] {
  return [...redisEnv(cbd), ...kafkaEnv(cbd)];
}
