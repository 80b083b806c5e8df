import { pino, type Logger } from 'pino';

/** JSON logs. Message text never reaches them: turns log ids and outcomes, and auth headers are redacted. */
export function createLogger(level: string, name = 'chatfleet-bot'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'message', 'reply'],
      remove: true,
    },
  });
}
