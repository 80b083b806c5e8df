import { Ajv, type ErrorObject } from 'ajv';
import { SESSION_ID_PATTERN } from '../sessions/keys.js';

/** One chat turn as a client sends it: the POST /v1/chat body and every WebSocket frame. */
export interface ChatBody {
  message: string;
  sessionId?: string;
  userId?: string;
}

/** The one schema of a chat turn's input; the HTTP route and the WebSocket frame both check it. */
export const chatRequestSchema = {
  type: 'object',
  required: ['message'],
  properties: {
    message: {
      type: 'string',
      minLength: 1,
      description: 'User text; at most MAX_MESSAGE_BYTES UTF-8 bytes.',
    },
    sessionId: { type: 'string', pattern: SESSION_ID_PATTERN, description: 'Omit to start a new session.' },
    userId: { type: 'string', minLength: 1, maxLength: 256, description: 'Rate-limit subject.' },
  },
} as const;

/**
 * Compiled once, with fastify's own settings for this app (no type coercion: `{"message": 42}` is
 * refused, not turned into "42"). The chat route hands it to fastify as its validator, so HTTP
 * and WebSocket input are checked by the same function.
 */
export const validateChatBody = new Ajv({
  coerceTypes: false,
  allErrors: false,
  strict: true,
}).compile<ChatBody>(chatRequestSchema);

/** A schema error as fastify words it (`body/message must NOT have fewer than 1 characters`). */
export function schemaErrorText(where: string, errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e ? `${where}${e.instancePath} ${e.message ?? 'is invalid'}` : `${where} is invalid`;
}
