/**
 * API errors classified by HTTP code, as the reconciler and informers need them:
 * 404 NotFound (success during cleanup), 409 Conflict (retry), 410 Gone (relist),
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
export const isGone = (err: unknown): boolean => isApiError(err, 410);
export const isInvalid = (err: unknown): boolean => isApiError(err, 422);

/** Raised when no cluster can be configured or reached; never silently falls back to localhost:8080. */
export class ClusterUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterUnreachableError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
