import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { sharedPlugin, type SharedPlugin } from '../plugins/shared-plugin.js';
import { ModelStore } from './model-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelStore;
  }
}

export interface ModelsPluginOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
}

/**
 * Loads the model bundle (a failure fails the app: there is nothing to serve), decorates the app
 * with the store and starts watching the bundle for edits; onClose stops the watcher.
 */
export function modelsPlugin(opts: ModelsPluginOptions): SharedPlugin {
  return sharedPlugin(async (app: FastifyInstance): Promise<void> => {
    const { config } = opts;
    const models = await ModelStore.open(
      {
        location: config.modelBundle,
        versionOverride: config.modelVersionOverride,
        pollIntervalMs: config.bundleWatchIntervalMs,
        memoMaxBytes: config.classifierMemoMaxBytes,
      },
      opts.log,
      opts.metrics,
    );
    app.decorate('models', models);
    models.start();
    app.addHook('onClose', (_app, done) => {
      models.stop();
      done();
    });
  });
}
