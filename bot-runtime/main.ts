import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { startWorker } from './worker/worker.js';

/** `npm run bot` serves chat; `npm run bot -- worker` runs the background task consumer. */
async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'server';
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, mode === 'worker' ? 'chatfleet-worker' : 'chatfleet-bot');
  const running = mode === 'worker' ? await startWorker(config, log) : await startServer(config, log);
  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    // Safety net: whatever hangs, the process ends within its budgets, before the grace period runs out.
    const budgetMs = config.drainTimeoutMs + config.closeTimeoutMs + config.eventsFlushTimeoutMs;
    setTimeout(() => process.exit(1), budgetMs + 500).unref();
    running.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('bot runtime failed to start', err);
  process.exit(1);
});
