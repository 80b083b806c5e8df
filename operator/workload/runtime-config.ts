import { createHash } from 'node:crypto';
import { RUNTIME_PORT, shutdownBudgets } from './defaults.js';
import { crName, crNamespace } from './labels.js';
import type { ChatbotDeployment } from './types.js';

/**
 * Non-secret runtime configuration shared by both tracks, consumed by the pods with envFrom. What differs
 * between tracks (MODEL_NAME, MODEL_VERSION, MODEL_BUNDLE) is set directly on the container instead.
 * CONTRACT.md "Env the operator sets on bot pods" lists every key (operator/workload/contract.test.ts).
 */
export function runtimeConfigData(cbd: ChatbotDeployment): Record<string, string> {
  const { runtime, sessions } = cbd.spec;
  const shutdown = shutdownBudgets(cbd.spec);
  const data: Record<string, string> = {
    PORT: String(RUNTIME_PORT),
    // every Redis key's prefix: fleets sharing one Redis never see each other's data
    FLEET_ID: `${crNamespace(cbd)}/${crName(cbd)}`,
    MAX_INFLIGHT: String(runtime.maxInflight),
    MAX_MESSAGE_BYTES: String(runtime.maxMessageBytes),
    RATE_LIMIT_PER_MINUTE: String(runtime.rateLimitPerMinute),
    SESSION_TTL_SECONDS: String(sessions.ttlSeconds),
    SESSION_MAX_TURNS: String(sessions.maxTurns),
    LOG_LEVEL: runtime.logLevel,
    DRAIN_TIMEOUT_MS: String(shutdown.drainMs),
    CLOSE_TIMEOUT_MS: String(shutdown.closeMs),
    EVENTS_FLUSH_TIMEOUT_MS: String(shutdown.flushMs),
    ...authConfigData(runtime.auth),
  };
  if (runtime.trustedProxies?.length) data.TRUSTED_PROXIES = runtime.trustedProxies.join(',');
  if (runtime.llm?.endpoint) data.LLM_ENDPOINT = runtime.llm.endpoint;
  if (runtime.llm?.model) data.LLM_MODEL = runtime.llm.model;
  // Absent means no summaries; a set value makes the chat pods enqueue summarize tasks (docs/workers.md).
  if (sessions.summarizeAfterTurns !== undefined) {
    data.SUMMARIZE_AFTER_TURNS = String(sessions.summarizeAfterTurns);
  }
  return data;
}

/** The non-secret part of spec.runtime.auth.jwt (the HS256 secret comes from its Secret). */
function authConfigData(auth: ChatbotDeployment['spec']['runtime']['auth']): Record<string, string> {
  const jwt = auth?.jwt;
  if (!jwt) return {};
  return {
    ...(jwt.jwksUrl && { AUTH_JWKS_URL: jwt.jwksUrl }),
    ...(jwt.issuer && { AUTH_JWT_ISSUER: jwt.issuer }),
    ...(jwt.audiences?.length && { AUTH_JWT_AUDIENCE: jwt.audiences.join(',') }),
    AUTH_JWT_CLOCK_SKEW_SECONDS: String(jwt.clockSkewSeconds),
  };
}

/** A short, order-independent hash of the ConfigMap data: a pod template annotation, so a change rolls the pods. */
export function configHash(data: Record<string, string>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((k) => [k, data[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}
