/**
 * Test support for the component unit tests: a ComponentContext, informer caches over fixed object
 * lists, and a client that fails the test on any request (the paths under test must issue none).
 * Imported by tests only.
 */
import { pino } from 'pino';
import type { ComponentContext } from '../controller/component.js';
import type { ObjectCache } from '../controller/reconciler.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../workload/types.js';
import type { ChatbotDeployment } from './types.js';

export const NOW = new Date('2026-01-01T00:00:00Z');

export function contextFor(cbd: ChatbotDeployment, now: Date = NOW): ComponentContext {
  return {
    cbd,
    log: pino({ level: 'silent' }),
    now,
    deployment: undefined,
    pods: [],
  };
}

/** An informer cache holding exactly `objects`. */
export function cacheOf(...objects: KubeObject[]): ObjectCache & { readonly watching: boolean } {
  return {
    watching: true,
    get: (ns, name) => objects.find((o) => o.metadata.namespace === ns && o.metadata.name === name),
    list: (ns) => objects.filter((o) => ns === undefined || o.metadata.namespace === ns),
  };
}

/** Every request is recorded and refused: a path that should issue none fails loudly. */
export function noRequests(): Pick<KubeClient, 'get' | 'create' | 'list' | 'delete' | 'apply'> & {
  calls: string[];
} {
  const calls: string[] = [];
  const refuse = (verb: string) => (): Promise<never> => {
    calls.push(verb);
    return Promise.reject(new Error(`unexpected ${verb} request`));
  };
  return {
    calls,
    get: refuse('get'),
    create: refuse('create'),
    list: refuse('list'),
    delete: refuse('delete'),
    apply: refuse('apply'),
  };
}
