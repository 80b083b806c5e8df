import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RoutingSourceConfig } from '../config.js';
import { FileRoutingSource } from './file-source.js';
import type { RoutingState } from './routing-state.js';

export interface RoutingPluginOptions {
  source: RoutingSourceConfig;
  state: RoutingState;
  log: Logger;
  /** Poll interval of a routing file (default 1 s). */
  filePollMs?: number;
}

/**
 * Opens the routing source that feeds `state` (ConfigMap watch or file poll) when the app is
 * built, so the first routing is normally applied before the server listens, and stops it in
 * onClose. A source that fails at start does not stop the app: it retries in the background and
 * the pod serves stable-only meanwhile.
 */
export function routingPlugin(opts: RoutingPluginOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    const offer = opts.state.offer.bind(opts.state);
    const log = opts.log.child({ component: 'routing' });
    const { source } = opts;
    if (source.kind === 'file') {
      const file = new FileRoutingSource(source.path, offer, opts.filePollMs);
      await file.start();
      app.addHook('onClose', () => file.stop());
      log.info({ file: source.path }, 'rollout routing from file');
      return;
    }
    // loaded only when used: the Kubernetes client (and its undici) stays out of pods without it
    const { ConfigMapRoutingSource } = await import('./configmap-source.js');
    const cm = new ConfigMapRoutingSource(source, offer, log);
    await cm.start();
    app.addHook('onClose', (_instance, done) => {
      cm.stop();
      done();
    });
    log.info({ configMap: source.name, namespace: source.namespace }, 'rollout routing from ConfigMap');
  };
}
