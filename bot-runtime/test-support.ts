import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { AppDeps } from './app.js';
import { loadConfig, type Config } from './config.js';
import { createMetrics } from './metrics.js';

/** Shared by unit and integration tests: the example bundle as a JSON value. */
export function exampleBundle(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('./model/bundle.example.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** App deps without Redis or Kafka (unless env names them): buildApp loads the example bundle. */
export function testDeps(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}): AppDeps {
  const config: Config = loadConfig({ WS_PING_INTERVAL_MS: '60000', ...env });
  const registry = new Registry();
  return {
    config,
    log: pino({ level: 'silent' }),
    registry,
    metrics: createMetrics(registry, false),
    llm: undefined,
    ...overrides,
  };
}
