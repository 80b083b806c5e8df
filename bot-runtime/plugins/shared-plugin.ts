import type { FastifyInstance } from 'fastify';

/** A plugin that opens a resource when registered (async: a plugin that never awaits is still one). */
export type SharedPlugin = (app: FastifyInstance) => Promise<void>;

/**
 * Marks a plugin as not encapsulated, what fastify-plugin does: its decorators and onClose hooks
 * belong to the app that registers it (fastify's documented `skip-override` symbol).
 */
export function sharedPlugin(plugin: SharedPlugin): SharedPlugin {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}
