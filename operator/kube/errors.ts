/**
 * API errors classified by HTTP code, as the reconciler and informers need them:
 * 404 NotFound (success during cleanup), 409 Conflict (retry),
 * 422 Invalid (the spec is wrong: terminal until the spec changes).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export function isApiError(err: unknown, code?: number): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.statusCode === code);
}

export const isNotFound = (err: unknown): boolean => isApiError(err, 404);
export const isForbidden = (err: unknown): boolean => isApiError(err, 403);
export const isConflict = (err: unknown): boolean => isApiError(err, 409);
export const isInvalid = (err: unknown): boolean => isApiError(err, 422);

/** Raised when no cluster can be configured or reached; never silently falls back to localhost:8080. */
export class ClusterUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterUnreachableError';
  }
}

/** At most this many errors of a cause chain are read (a cycle or a runaway chain stays bounded). */
const MAX_CHAIN = 10;

/** `err`, its `cause`, the cause's cause, ...: at most MAX_CHAIN entries, each once. */
export function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < MAX_CHAIN && !chain.includes(current)) {
    chain.push(current);
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return chain;
}

/**
 * The message of an error and of its causes, joined with ': ', each text once (clients such as kafkajs wrap
 * the same failure several times). The one errorMessage of the operator: for logs, Events and conditions.
 */
export function errorMessage(err: unknown): string {
  const parts: string[] = [];
  for (const e of errorChain(err)) {
    const text = e instanceof Error ? e.message : String(e);
    if (!parts.some((p) => p.includes(text))) parts.push(text);
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}
