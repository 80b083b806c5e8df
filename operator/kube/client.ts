import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, ClusterUnreachableError, errorMessage, isNotFound } from './errors.js';
import type { ResourceKind } from './resources.js';
import { resourceFor, resourcePath } from './resources.js';
import type { KubeObject } from '../workload/types.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';
/** The maximum uint64: above every etcd revision (an int64), so never an object's resourceVersion. */
const NO_STORED_RESOURCE_VERSION = '18446744073709551615';

/** Called for every mutating request, so metrics can count writes (steady state must show none). */
export type WriteObserver = (verb: 'apply' | 'create' | 'update' | 'delete', kind: string) => void;

/** Called for every GET of one object and every LIST, so metrics can count reads (steady state must show none). */
export type ReadObserver = (verb: 'get' | 'list', kind: string) => void;

/**
 * Asked just before a mutating request goes out: undefined lets it go, a string refuses it (the
 * reason). Leader election installs one so that no write leaves the process after its lease could
 * have been taken by someone else.
 */
export type WriteFence = () => string | undefined;

/** A write the fence refused; nothing was sent. */
export class WriteRefusedError extends Error {
  constructor(what: string, reason: string) {
    super(`${what}: write refused: ${reason}`);
    this.name = 'WriteRefusedError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Replaces the client's write fence for this request (the Lease writes, which leader election guards itself). */
  fence?: WriteFence;
}

/** What single-object calls accept besides the object. */
export type CallOptions = Pick<RequestOptions, 'timeoutMs' | 'fence'>;

export interface ObjectList<T = KubeObject> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

/**
 * A small REST client over the configuration client-node loaded: one keep-alive agent (the
 * bench writes thousands of objects), TLS and credentials from the KubeConfig, and errors
 * classified into ApiError. Generic over resources so server-side apply works for every kind
 * and for the /status subresource, which client-node's typed APIs make awkward.
 */
export class KubeClient {
  private readonly server: URL;
  private readonly agent: http.Agent;
  private headers: Record<string, string> = {};
  private headersAt = 0;
  onWrite: WriteObserver = () => undefined;
  onRead: ReadObserver = () => undefined;
  /** Checked before every mutating request (see send: again when it goes on the wire); none = always allowed. */
  writeFence: WriteFence | undefined;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly tls: https.AgentOptions,
  ) {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new ClusterUnreachableError('the Kubernetes configuration names no cluster server');
    this.server = new URL(server);
    const options = { keepAlive: true, maxSockets: 64, ...tls };
    this.agent = this.server.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  static async create(kc: KubeConfig): Promise<KubeClient> {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
    const tls: https.AgentOptions = { ca, cert, key, pfx, passphrase, servername };
    if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
    return new KubeClient(kc, tls);
  }

  get serverUrl(): string {
    return this.server.toString();
  }

  /** Fails with ClusterUnreachableError when the API server does not answer /version. */
  async probe(timeoutMs = 5000): Promise<{ gitVersion?: string }> {
    try {
      return await this.request<{ gitVersion?: string }>('GET', '/version', { timeoutMs });
    } catch (err) {
      throw new ClusterUnreachableError(
        `cannot reach the Kubernetes API server at ${this.serverUrl}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  async get<T = KubeObject>(
    r: ResourceKind,
    namespace: string | undefined,
    name: string,
    opts: CallOptions = {},
  ): Promise<T | undefined> {
    this.onRead('get', r.kind);
    try {
      return await this.request<T>('GET', resourcePath(r, namespace, name), opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list<T = KubeObject>(
    r: ResourceKind,
    namespace?: string,
    query: RequestOptions['query'] = {},
  ): Promise<ObjectList<T>> {
    this.onRead('list', r.kind);
    return this.request<ObjectList<T>>('GET', resourcePath(r, namespace), { query });
  }

  /** Server-side apply of a freshly built object (never a fetched one), optionally to /status. */
  async apply<T = KubeObject>(
    obj: KubeObject,
    fieldManager: string,
    opts: { subresource?: 'status'; resource?: ResourceKind } = {},
  ): Promise<T> {
    const { subresource } = opts;
    const r = opts.resource ?? resourceFor(obj.apiVersion, obj.kind);
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name, subresource);
    const result = await this.request<T>('PATCH', path, {
      query: { fieldManager, force: true },
      body: obj,
      contentType: APPLY_PATCH,
    });
    this.onWrite('apply', subresource ? `${r.kind}/${subresource}` : r.kind);
    return result;
  }

  /**
   * Server-side apply that only creates: the API server answers 409 Conflict when an object of that name
   * exists, whoever made it. The body carries a resourceVersion no stored object can have (above etcd's
   * int64 revisions): an update must match it, and a create drops it (the generic registry clears the
   * resourceVersion of an object it stores, Kubernetes >= 1.23 for every kind).
   */
  async applyNew<T = KubeObject>(obj: KubeObject, fieldManager: string, r: ResourceKind): Promise<T> {
    const metadata = { ...obj.metadata, resourceVersion: NO_STORED_RESOURCE_VERSION };
    return this.apply<T>({ ...obj, metadata }, fieldManager, { resource: r });
  }

  async create<T = KubeObject>(
    r: ResourceKind,
    namespace: string | undefined,
    obj: unknown,
    opts: CallOptions = {},
  ): Promise<T> {
    const result = await this.request<T>('POST', resourcePath(r, namespace), { ...opts, body: obj });
    this.onWrite('create', r.kind);
    return result;
  }

  /** Replace with optimistic concurrency (metadata.resourceVersion); used for Lease CAS only. */
  async update<T = KubeObject>(r: ResourceKind, obj: KubeObject, opts: CallOptions = {}): Promise<T> {
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name);
    const result = await this.request<T>('PUT', path, { ...opts, body: obj });
    this.onWrite('update', r.kind);
    return result;
  }

  /** Deletes; NotFound counts as success (already gone). Returns whether a delete was sent and accepted. */
  async delete(
    r: ResourceKind,
    namespace: string | undefined,
    name: string,
    query?: RequestOptions['query'],
  ): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath(r, namespace, name), { query });
      this.onWrite('delete', r.kind);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const fence = this.fenceFor(method, opts);
    checkFence(fence, `${method} ${url.pathname}`);
    const headers: Record<string, string> = { ...(await this.authHeaders()), Accept: 'application/json' };
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
    const { status, text } = await this.send(url, method, headers, body, opts.timeoutMs ?? 30_000, fence);
    if (status >= 400) throw toApiError(status, text, `${method} ${url.pathname}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }

  private fenceFor(method: string, opts: RequestOptions): WriteFence | undefined {
    return MUTATING.has(method) ? (opts.fence ?? this.writeFence) : undefined;
  }

  /** Credentials may rotate (exec plugins, projected tokens): refresh them once a minute. */
  private async authHeaders(): Promise<Record<string, string>> {
    if (Date.now() - this.headersAt < 60_000) return { ...this.headers };
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    this.headers = Object.fromEntries(
      Object.entries((opts.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
    if (opts.auth) this.headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.headersAt = Date.now();
    return { ...this.headers };
  }

  private send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    fence?: WriteFence,
  ): Promise<{ status: number; text: string }> {
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(
          err instanceof WriteRefusedError
            ? err
            : new Error(`${method} ${url.pathname} failed: ${err.message}`, { cause: err }),
        ),
      );
      if (!fence) {
        req.end(body);
        return;
      }
      // Nothing of a fenced request is written until it has a connected socket (a new connection,
      // or one the agent queued behind maxSockets, may take a while), and the fence is asked again
      // right then, in the same tick as the write: so "allowed" is at most microseconds old.
      req.once('socket', (socket: net.Socket) => {
        const go = (): void => {
          try {
            checkFence(fence, `${method} ${url.pathname}`);
            req.end(body);
          } catch (err) {
            req.destroy(err as Error);
          }
        };
        if (!socket.connecting) go();
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', go);
      });
    });
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function checkFence(fence: WriteFence | undefined, what: string): void {
  const refusal = fence?.();
  if (refusal !== undefined) throw new WriteRefusedError(what, refusal);
}

function toApiError(status: number, text: string, what: string): ApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? reason;
    message = parsed.message ?? message;
  } catch {
    // Not a Status object (a proxy error page, say): keep the raw text.
  }
  return new ApiError(status, reason, `${what}: ${status} ${reason}: ${message}`);
}
