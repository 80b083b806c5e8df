import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDnsLabel } from '../shared/model.js';
import { ensureBundle } from './bundle.js';
import { detail, summarize } from './fleet.js';
import { registerActions } from './actions.js';
import { listWatch } from './kube.js';
import { fleetOr4xx } from './params.js';
import type { FleetParams } from './params.js';
import { PodTurns } from './pod-turns.js';
import { prometheusSeries } from './prometheus.js';
import { SseHub } from './sse.js';
import { ConsoleState } from './state.js';

/**
 * The fleet console: a read-only web UI on 127.0.0.1 that sees what the user's kubeconfig lets
 * them see. State comes from list+watch on ChatbotDeployments and their Events; the browser gets
 * JSON and an SSE stream of changes. See docs/console.md.
 */
export interface ConsoleOptions {
  /** Path of a kubeconfig file; undefined = KUBECONFIG or ~/.kube/config, like kubectl. */
  kubeconfig?: string;
  /** A loaded kubeconfig (tests; a token of a ServiceAccount, say); wins over `kubeconfig`. */
  kubeConfig?: KubeConfig;
  context?: string;
  /** Only this namespace (else all the user may list). */
  namespace?: string;
  port?: number;
  host?: string;
  prometheusUrl?: string;
  /** Status sampling period of the charts without Prometheus. */
  sampleMs?: number;
  maxSseClients?: number;
  /** Rollout action buttons and their POST (--allow-actions); off = read-only. */
  allowActions?: boolean;
  log?: (line: string) => void;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const CRD_PATH = '/apis/chatfleet.io/v1alpha1';
const EVENTS_PATH = '/apis/events.k8s.io/v1';

function loadKubeConfig(opts: ConsoleOptions): KubeConfig {
  if (opts.kubeConfig) return opts.kubeConfig;
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

function scoped(base: string, resource: string, namespace?: string): string {
  return namespace ? `${base}/namespaces/${namespace}/${resource}` : `${base}/${resource}`;
}

function validPrometheusUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const u = new URL(raw);
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`--prometheus-url must be http(s): ${raw}`);
  return u.toString();
}

function startWatches(kc: KubeConfig, state: ConsoleState, opts: ConsoleOptions): Array<() => void> {
  const log = opts.log ?? (() => undefined);
  const stopFleets = listWatch(kc, scoped(CRD_PATH, 'chatbotdeployments', opts.namespace), {
    onList: (items) => state.replaceFleets(items),
    onEvent: (type, obj) => (type === 'DELETED' ? state.deleteFleet(obj) : state.upsertFleet(obj)),
    onError: (err) => {
      state.lastError = `watching ChatbotDeployments: ${err instanceof Error ? err.message : String(err)}`;
      log(state.lastError);
    },
  });
  const stopEvents = listWatch(
    kc,
    scoped(EVENTS_PATH, 'events', opts.namespace),
    {
      onList: (items) => state.replaceEvents(items),
      onEvent: (type, obj) => (type === 'DELETED' ? undefined : state.addEvent(obj)),
      onError: (err) => log(`watching Events: ${err instanceof Error ? err.message : String(err)}`),
    },
    { fieldSelector: 'regarding.kind=ChatbotDeployment' },
  );
  return [stopFleets, stopEvents];
}

function openStream(req: FastifyRequest, reply: FastifyReply, hub: SseHub, state: ConsoleState): void {
  const res = reply.raw;
  const sink = {
    write: (c: string) => res.write(c),
    end: () => res.end(),
    pending: () => res.writableLength,
  };
  if (!hub.add(sink)) {
    void reply.code(503).send({ error: 'too many console streams open; close a tab' });
    return;
  }
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write(`retry: 2000\n\n`);
  res.write(`event: hello\ndata: ${JSON.stringify({ synced: state.fleetsSynced })}\n\n`);
  req.raw.on('close', () => hub.remove(sink));
}

function registerApi(
  app: FastifyInstance,
  state: ConsoleState,
  hub: SseHub,
  opts: ConsoleOptions,
  prom?: string,
  podTurns?: PodTurns,
): void {
  app.get('/api/fleets', () => ({
    synced: state.fleetsSynced,
    error: state.lastError,
    prometheus: prom !== undefined,
    fleets: [...state.fleets.values()]
      .map(summarize)
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
  }));
  app.get<{ Params: FleetParams }>('/api/fleets/:namespace/:name', (req, reply) => {
    const raw = fleetOr4xx(req, reply, state, opts.namespace);
    return raw === undefined ? reply : detail(raw);
  });
  app.get<{ Params: FleetParams }>('/api/fleets/:namespace/:name/events', (req, reply) => {
    const raw = fleetOr4xx(req, reply, state, opts.namespace);
    return raw === undefined ? reply : { events: state.eventsOf(req.params.namespace, req.params.name) };
  });
  app.get<{ Params: FleetParams }>('/api/fleets/:namespace/:name/series', async (req, reply) => {
    const raw = fleetOr4xx(req, reply, state, opts.namespace);
    if (raw === undefined) return reply;
    const { namespace, name } = req.params;
    if (!prom) {
      podTurns?.touch(namespace, name);
      return { ...state.history.series(namespace, name), ...podTurns?.series(namespace, name) };
    }
    try {
      return await prometheusSeries(prom, namespace, name, Date.now());
    } catch (err) {
      return {
        ...state.history.series(namespace, name),
        error: `Prometheus: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  });
  app.get('/api/stream', (req, reply) => openStream(req, reply, hub, state));
}

async function registerStatic(app: FastifyInstance, dir: string): Promise<void> {
  const files: Record<string, [string, Buffer]> = {
    '/': ['text/html; charset=utf-8', await readFile(join(dir, 'index.html'))],
    '/app.js': ['text/javascript; charset=utf-8', await readFile(join(dir, 'app.js'))],
    '/app.css': ['text/css; charset=utf-8', await readFile(join(dir, 'app.css'))],
  };
  for (const [path, [type, body]] of Object.entries(files)) {
    app.get(path, (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
}

/** Refuses requests whose Host is not this loopback address (DNS rebinding from a web page). */
function hostGuard(app: FastifyInstance, allowed: () => string[]): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!allowed().includes(req.headers.host ?? '')) {
      await reply.code(421).send({ error: 'the console answers only on its loopback address' });
    }
  });
}

function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    );
    void reply.header('referrer-policy', 'no-referrer');
  });
}

function checkOptions(opts: ConsoleOptions): string {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost')
    throw new Error('the console binds to loopback only');
  const ns: unknown = opts.namespace;
  if (ns !== undefined && !isDnsLabel(ns))
    throw new Error(`--namespace is not a DNS label: ${JSON.stringify(ns)}`);
  return host;
}

export async function startConsole(opts: ConsoleOptions = {}): Promise<RunningConsole> {
  const host = checkOptions(opts);
  const prom = validPrometheusUrl(opts.prometheusUrl);
  const kc = loadKubeConfig(opts);
  const hub = new SseHub({
    maxClients: opts.maxSseClients ?? 32,
    maxMessageBytes: 64 << 10,
    heartbeatMs: 15_000,
    maxPendingBytes: 1 << 20,
  });
  const state = new ConsoleState((c) => hub.broadcast(c.kind, c));
  const app = Fastify({ logger: false, bodyLimit: 1024, connectionTimeout: 0, requestTimeout: 15_000 });
  let port = opts.port ?? 3100;
  const hosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  hostGuard(app, hosts);
  securityHeaders(app);
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  await registerStatic(app, await ensureBundle());
  const podTurns = prom ? undefined : new PodTurns(kc);
  registerApi(app, state, hub, opts, prom, podTurns);
  const closeActions = registerActions(app, {
    enabled: opts.allowActions === true,
    kc,
    state,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    origins: () => hosts().map((h) => `http://${h}`),
    log: opts.log ?? (() => undefined),
  });
  await app.listen({ port, host });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const stops = startWatches(kc, state, opts);
  const sampler = setInterval(() => {
    state.sample();
    void podTurns?.sample((namespace, name) => state.getFleet(namespace, name));
  }, opts.sampleMs ?? 5000);
  sampler.unref();
  return {
    url: `http://${host === '::1' ? '[::1]' : host}:${port}/`,
    close: async () => {
      clearInterval(sampler);
      for (const stop of stops) stop();
      hub.close();
      closeActions();
      await app.close();
    },
  };
}
