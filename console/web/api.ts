import type { FleetDetail, FleetEvent, FleetSeries, FleetSummary, StreamMessage } from '../shared/model.js';

/** The console server's JSON API and its SSE stream (same origin, 127.0.0.1). */
export interface FleetList {
  synced: boolean;
  error: string | null;
  prometheus: boolean;
  fleets: FleetSummary[];
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${path}`);
  return body;
}

const fleetPath = (ns: string, name: string): string =>
  `/api/fleets/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;

export interface ActionConfig {
  enabled: boolean;
  verbs: string[];
  token?: string;
}

/** The server answers an action with the annotation it wrote, or { error } (403 when RBAC refuses). */
async function postAction(ns: string, name: string, action: string, token: string): Promise<string> {
  const res = await fetch(`${fleetPath(ns, name)}/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-chatfleet-console-token': token },
    body: JSON.stringify({ action }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { annotation?: string; value?: string; error?: string };
  if (!res.ok) throw new Error(`${res.status}: ${body.error ?? 'the action failed'}`);
  return `${body.annotation ?? ''}=${body.value ?? ''}`;
}

let actionConfig: Promise<ActionConfig> | undefined;

export const api = {
  /** Read once per page: whether the console was started with --allow-actions, and its token. */
  actions: (): Promise<ActionConfig> => (actionConfig ??= getJson<ActionConfig>('/api/actions')),
  act: postAction,
  fleets: () => getJson<FleetList>('/api/fleets'),
  detail: (ns: string, name: string) => getJson<FleetDetail>(fleetPath(ns, name)),
  events: (ns: string, name: string) => getJson<{ events: FleetEvent[] }>(`${fleetPath(ns, name)}/events`),
  series: (ns: string, name: string) =>
    getJson<FleetSeries & { error?: string }>(`${fleetPath(ns, name)}/series`),
};

type Listener = (m: StreamMessage) => void;
type ConnectionListener = (live: boolean) => void;
const listeners = new Set<Listener>();
const resyncs = new Set<() => void>();
const connection = new Set<ConnectionListener>();
let source: EventSource | undefined;
let helloSeen = false;

function connect(): void {
  if (source) return;
  source = new EventSource('/api/stream');
  for (const kind of ['fleet', 'deleted', 'event']) {
    source.addEventListener(kind, (e) => {
      const msg = JSON.parse((e as MessageEvent<string>).data) as StreamMessage;
      for (const l of listeners) l(msg);
    });
  }
  // Every (re)connection starts with hello. After a reconnect, changes made while the stream was
  // down were missed: the pages read everything again.
  source.addEventListener('hello', () => {
    for (const c of connection) c(true);
    if (helloSeen) for (const r of resyncs) r();
    helloSeen = true;
  });
  source.addEventListener('error', () => {
    for (const c of connection) c(false);
  });
}

/** One EventSource for the page; components subscribe and unsubscribe. The browser reconnects by itself. */
export function subscribe(fn: Listener, resync?: () => void): () => void {
  listeners.add(fn);
  if (resync) resyncs.add(resync);
  connect();
  return () => {
    listeners.delete(fn);
    if (resync) resyncs.delete(resync);
  };
}

/** Whether the live stream is up (for the header's indicator). */
export function onConnection(fn: ConnectionListener): () => void {
  connection.add(fn);
  connect();
  return () => connection.delete(fn);
}
