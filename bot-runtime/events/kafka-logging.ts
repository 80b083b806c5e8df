import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Routes kafkajs' own logging into pino at debug level: kafkajs logs every failed request of a
 * retry loop as an error, which floods the log during a broker outage. Our publisher and worker
 * log the state changes (unreachable, reachable again) themselves.
 */
export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ level, log: entry }) => {
      if (level === logLevel.NOTHING || !log.isLevelEnabled('debug')) return;
      const { message, ...extra } = entry;
      log.debug(extra, `kafkajs: ${message}`);
    };
}
