/** Error codes of the HTTP API and of WebSocket error frames ({ error: { code, message } }). */
export const ErrorCode = {
  invalidJson: 'INVALID_JSON',
  invalidRequest: 'INVALID_REQUEST',
  messageTooLarge: 'MESSAGE_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  overloaded: 'OVERLOADED',
  rateLimited: 'RATE_LIMITED',
  draining: 'SHUTTING_DOWN',
  sessionStoreUnavailable: 'SESSION_STORE_UNAVAILABLE',
  internal: 'INTERNAL',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorBody {
  error: { code: ErrorCodeValue; message: string };
}

export function errorBody(code: ErrorCodeValue, message: string): ErrorBody {
  return { error: { code, message } };
}

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** Maps fastify's own error codes (body parsing, validation, limits) onto ours. Never 5xx for input. */
export function classifyRequestError(err: { code?: string; statusCode?: number; validation?: unknown }): {
  status: number;
  code: ErrorCodeValue;
} {
  if (err.validation !== undefined) return { status: 400, code: ErrorCode.invalidRequest };
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: ErrorCode.invalidJson };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: ErrorCode.messageTooLarge };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: ErrorCode.unsupportedMediaType };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: ErrorCode.invalidRequest };
  return { status: 500, code: ErrorCode.internal };
}

/** The message of anything thrown, for logs: an Error's message, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
