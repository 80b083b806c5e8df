import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { AppDeps } from './app.js';
import { Model, parseBundle } from './classifier/bundle.js';
import { loadConfig, type Config } from './config.js';
import { disabledEventSink } from './events/conversation-event.js';
import { createMetrics } from './metrics.js';

/** Shared by unit and integration tests: app deps with the example bundle and no I/O resources. */
export function exampleBundle(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('./model/bundle.example.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

export function testDeps(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}): AppDeps {
  const config: Config = loadConfig({ WS_PING_INTERVAL_MS: '60000', ...env });
  const registry = new Registry();
  return {
    config,
    log: pino({ level: 'silent' }),
    registry,
    metrics: createMetrics(registry, false),
    models: { current: new Model(parseBundle(exampleBundle()), config.modelVersionOverride) },
    store: undefined,
    redis: undefined,
    events: disabledEventSink,
    llm: undefined,
    ...overrides,
  };
}
