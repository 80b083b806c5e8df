import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Read-only access to the API server with the user's kubeconfig: GET with a bounded wait, and a
 * list-then-watch loop that restarts (with backoff) when the server ends the watch. There is no
 * write verb in this module on purpose: the console is read-only.
 */

export class KubeReadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const http = new IsomorphicFetchHttpLibrary();

export async function kubeGet(kc: KubeConfig, path: string, timeoutMs = 10_000): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeReadError(500, 'the kubeconfig has no current cluster');
  const ctx = new RequestContext(`${cluster.server}${path}`, HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  ctx.setSignal(AbortSignal.timeout(timeoutMs));
  const res = await http.send(ctx).toPromise();
  const text = await res.body.text();
  if (res.httpStatusCode !== 200) {
    let message = text.slice(0, 300);
    try {
      const m = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof m === 'string') message = m;
    } catch {
      // not JSON: keep the text
    }
    throw new KubeReadError(
      res.httpStatusCode,
      `GET ${path.split('?')[0]}: ${res.httpStatusCode} ${message}`,
    );
  }
  return JSON.parse(text) as unknown;
}

/**
 * GET of a body the tenant controls (a pod's /metrics through the API server's pod proxy): like
 * kubeGet, with a byte bound on the body as well as the time bound. Node's https client, because
 * client-node's fetch reads a whole body before it can be counted.
 */
export async function kubeGetText(
  kc: KubeConfig,
  path: string,
  limits: { timeoutMs: number; maxBytes: number },
): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeReadError(500, 'the kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: RequestOptions & { headers: Record<string, string> } = { method: 'GET', headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<string>((resolve, reject) => {
    const req = send(url, { ...opts, signal: AbortSignal.timeout(limits.timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (c: Buffer) => {
        total += c.length;
        if (total > limits.maxBytes)
          req.destroy(new KubeReadError(502, `GET ${url.pathname}: body over ${limits.maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(text);
        else
          reject(
            new KubeReadError(
              res.statusCode ?? 502,
              `GET ${url.pathname}: ${res.statusCode} ${text.slice(0, 200)}`,
            ),
          );
      });
      res.on('error', reject);
    });
    req.on('error', (err) =>
      reject(
        err instanceof KubeReadError
          ? err
          : err.name === 'AbortError'
            ? new KubeReadError(504, `GET ${url.pathname}: no complete answer within ${limits.timeoutMs} ms`)
            : err,
      ),
    );
    req.end();
  });
}

export interface WatchHandlers {
  /** The full list, at start and after every re-list (replace what you hold). */
  onList(items: unknown[]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: unknown): void;
  onError(err: unknown): void;
}

interface ListJson {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const PAGE = 500;
const MAX_PAGES = 4;

/** Lists in pages of 500, at most 2000 objects (the console's bound); the watch starts from the first page's version. */
async function listAll(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
): Promise<{ items: unknown[]; resourceVersion?: string }> {
  const items: unknown[] = [];
  let resourceVersion: string | undefined;
  let cont: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const qs = new URLSearchParams({ ...query, limit: String(PAGE), ...(cont ? { continue: cont } : {}) });
    const list = (await kubeGet(kc, `${path}?${qs.toString()}`)) as ListJson;
    items.push(...(list.items ?? []));
    resourceVersion ??= list.metadata?.resourceVersion;
    cont = list.metadata?.continue;
    if (!cont) break;
  }
  return { items, ...(resourceVersion !== undefined ? { resourceVersion } : {}) };
}

/** List then watch `path` until stopped; re-lists after any watch end. Returns the stop function. */
export function listWatch(
  kc: KubeConfig,
  path: string,
  h: WatchHandlers,
  query: Record<string, string> = {},
): () => void {
  let stopped = false;
  let abort: AbortController | undefined;
  let backoffMs = 500;
  const watch = new Watch(kc);
  const cycle = async (): Promise<void> => {
    const list = await listAll(kc, path, query);
    h.onList(list.items);
    backoffMs = 500;
    await new Promise<void>((resolve, reject) => {
      watch
        .watch(
          path,
          {
            ...query,
            resourceVersion: list.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 300,
          },
          (type, obj) => {
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') h.onEvent(type, obj);
          },
          (err) => (err ? reject(err as Error) : resolve()),
        )
        .then((a) => {
          abort = a;
          if (stopped) a.abort(); // stopped while the watch was connecting
        }, reject);
    });
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        await cycle();
      } catch (err) {
        if (stopped) return;
        h.onError(err);
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  };
  void loop();
  return () => {
    stopped = true;
    abort?.abort();
  };
}
