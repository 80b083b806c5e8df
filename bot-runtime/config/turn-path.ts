import { baseUrl, ConfigError, int, str, type Env } from './env.js';

/** How a turn is served: the LLM peer, rollout routing, and the HTTP bounds derived from the slowest (forwarded) turn. */

export interface LlmConfig {
  endpoint: string;
  model: string;
  apiKey: string | undefined;
  timeoutMs: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

export type Track = 'stable' | 'canary';

/** Where the routing object comes from (see docs/bot-runtime.md, Rollout routing). */
export type RoutingSourceConfig =
  | { kind: 'configmap'; name: string; namespace: string; kubeconfig: string | undefined }
  | { kind: 'file'; path: string };

export interface RolloutConfig {
  /** The track of this pod (CHATFLEET_TRACK). */
  track: Track;
  /** FLEET_ID (`<namespace>/<name>`, set by the operator): every Redis key's prefix and the assignment hash's salt; '' when unset. */
  fleetId: string;
  /** Undefined: no rollout routing, every turn is served locally. */
  routing: RoutingSourceConfig | undefined;
  /** Base URLs turns are forwarded to, by track. */
  urls: Partial<Record<Track, string>>;
  /** Bound of one forwarded turn (connect + reply). */
  forwardTimeoutMs: number;
}

/** Bounds of one HTTP connection (docs/bot-runtime.md, Abuse resistance: slowloris). */
export interface HttpTimeouts {
  headersTimeoutMs: number; // the request's headers must have arrived within this
  requestTimeoutMs: number; // the whole request, headers and body
  keepAliveTimeoutMs: number; // an idle keep-alive connection is closed after this
  connectionTimeoutMs: number; // a socket without traffic is closed after this (> slowest turn)
}

export function parseLlm(env: Env): LlmConfig | undefined {
  const endpoint = str(env, 'LLM_ENDPOINT');
  if (endpoint === undefined) return undefined;
  try {
    new URL(endpoint);
  } catch (err) {
    throw new ConfigError(`LLM_ENDPOINT is not a URL: "${endpoint}"`, { cause: err });
  }
  return {
    endpoint,
    model: str(env, 'LLM_MODEL') ?? 'default',
    apiKey: str(env, 'LLM_API_KEY'),
    timeoutMs: int(env, 'LLM_TIMEOUT_MS', 2000, 1),
    breakerFailureThreshold: int(env, 'LLM_BREAKER_FAILURES', 5, 1),
    breakerCooldownMs: int(env, 'LLM_BREAKER_COOLDOWN_MS', 10_000, 1),
  };
}

function parseRoutingSource(env: Env): RoutingSourceConfig | undefined {
  const name = str(env, 'CHATFLEET_ROUTING_CONFIGMAP');
  const path = str(env, 'CHATFLEET_ROUTING_FILE');
  if (name !== undefined && path !== undefined) {
    throw new ConfigError('set only one of CHATFLEET_ROUTING_CONFIGMAP and CHATFLEET_ROUTING_FILE');
  }
  if (path !== undefined) return { kind: 'file', path };
  if (name === undefined) return undefined;
  const namespace = str(env, 'POD_NAMESPACE');
  if (namespace === undefined) throw new ConfigError('CHATFLEET_ROUTING_CONFIGMAP needs POD_NAMESPACE');
  return { kind: 'configmap', name, namespace, kubeconfig: str(env, 'KUBECONFIG') };
}

export function parseHttpTimeouts(env: Env, rollout: RolloutConfig, redisTimeoutMs: number): HttpTimeouts {
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', 5000, 100, 600_000);
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 10_000, 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  // The slowest turn: a forwarded one (it bounds the other pod's LLM call) plus this pod's Redis steps.
  const slowestTurnMs = rollout.forwardTimeoutMs + 4 * redisTimeoutMs;
  const keepAliveTimeoutMs = int(env, 'HTTP_KEEPALIVE_TIMEOUT_MS', 72_000, 100, 600_000);
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    // Longer than the keep-alive timeout too, which would otherwise never be reached.
    connectionTimeoutMs: int(
      env,
      'HTTP_CONNECTION_TIMEOUT_MS',
      Math.max(keepAliveTimeoutMs, slowestTurnMs) + 5000,
      slowestTurnMs + 1000,
      3_600_000,
    ),
  };
}

export function parseRollout(env: Env, llm: LlmConfig | undefined): RolloutConfig {
  const track = str(env, 'CHATFLEET_TRACK') ?? 'stable';
  if (track !== 'stable' && track !== 'canary') {
    throw new ConfigError(`CHATFLEET_TRACK must be stable or canary, got "${track}"`);
  }
  const stable = baseUrl(env, 'CHATFLEET_STABLE_URL');
  const canary = baseUrl(env, 'CHATFLEET_CANARY_URL');
  return {
    track,
    fleetId: str(env, 'FLEET_ID') ?? '',
    routing: parseRoutingSource(env),
    urls: { ...(stable && { stable }), ...(canary && { canary }) },
    // Longer than the other pod's slowest turn (its LLM call), so a slow turn is not served twice.
    forwardTimeoutMs: int(env, 'CHATFLEET_FORWARD_TIMEOUT_MS', 2000 + (llm?.timeoutMs ?? 0), 1),
  };
}
