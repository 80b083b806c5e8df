import { SESSION_ID_PATTERN } from '../sessions/keys.js';
import { chatRequestSchema } from './chat-body.js';

const errorRef = { $ref: 'Error#' } as const;

export const chatReplySchema = {
  type: 'object',
  required: ['sessionId', 'reply', 'intent', 'confidence', 'source', 'modelVersion'],
  properties: {
    sessionId: { type: 'string' },
    reply: { type: 'string' },
    intent: { type: 'string' },
    confidence: { type: 'number' },
    source: { type: 'string', enum: ['cache', 'intent', 'llm', 'fallback'] },
    modelVersion: { type: 'string' },
    turn: {
      type: 'integer',
      description: 'Sequence number of this turn in the session (0 when the session store was unavailable).',
    },
    stored: {
      type: 'boolean',
      description: 'False when the turn could not be recorded in the session store (it has no turn number).',
    },
  },
} as const;

export const chatRouteSchema = {
  summary: 'One chat turn',
  tags: ['chat'],
  body: chatRequestSchema,
  response: {
    200: chatReplySchema,
    400: errorRef,
    401: errorRef,
    413: errorRef,
    415: errorRef,
    429: errorRef,
    503: errorRef,
  },
} as const;

const turnSchema = {
  type: 'object',
  required: ['seq', 'at', 'message', 'reply', 'intent', 'confidence', 'source', 'modelVersion'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string' },
    message: { type: 'string' },
    reply: { type: 'string' },
    intent: { type: 'string' },
    confidence: { type: 'number' },
    source: { type: 'string' },
    modelVersion: { type: 'string' },
  },
} as const;

export const sessionRouteSchema = {
  summary: 'Stored context of a session (human handoff, debugging)',
  tags: ['sessions'],
  params: {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', pattern: SESSION_ID_PATTERN } },
  },
  response: {
    200: {
      type: 'object',
      required: ['sessionId', 'modelVersions', 'turns'],
      properties: {
        sessionId: { type: 'string' },
        modelVersions: { type: 'array', items: { type: 'string' } },
        turns: { type: 'array', items: turnSchema },
        pin: {
          type: 'object',
          description: 'Rollout pin: the track and model version this conversation is served by.',
          required: ['track', 'modelVersion'],
          properties: {
            track: { type: 'string', enum: ['stable', 'canary'] },
            modelVersion: { type: 'string' },
          },
        },
      },
    },
    400: errorRef,
    401: errorRef,
    404: errorRef,
    503: errorRef,
  },
} as const;

export const sessionDeleteRouteSchema = {
  summary: 'Erase a session now (right to erasure): its turns, summary, rollout pin and owner',
  description:
    "Only the session's owner may erase it (the same rule as reading it): a session that does not " +
    "exist or is another principal's is 404. Erasure is immediate (one atomic Redis script), not a " +
    'queued task, so a 204 means the conversation is gone from the session store.',
  tags: ['sessions'],
  params: sessionRouteSchema.params,
  response: {
    204: { type: 'null', description: 'Erased.' },
    400: errorRef,
    401: errorRef,
    404: errorRef,
    429: errorRef,
    503: errorRef,
  },
} as const;

export const healthSchema = {
  summary: 'Liveness',
  tags: ['ops'],
  response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
} as const;

const readyBody = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'degraded', 'draining'] },
    modelVersion: { type: 'string' },
    redis: { type: 'string', enum: ['up', 'down', 'disabled'] },
    kafka: { type: 'string', enum: ['connected', 'disconnected', 'disabled'] },
    eventsBuffered: { type: 'integer' },
  },
} as const;

export const readySchema = {
  summary: 'Readiness: 200 ready or degraded (Redis down), 503 while draining',
  tags: ['ops'],
  response: { 200: readyBody, 503: readyBody },
} as const;

export const metricsSchema = {
  summary: 'Prometheus metrics',
  tags: ['ops'],
  produces: ['text/plain'],
  response: { 200: { type: 'string' } },
} as const;
