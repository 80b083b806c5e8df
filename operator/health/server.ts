import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Process alive and its loops not wedged (a Liveness check, or a plain boolean). */
  live(): boolean | { ok: boolean; reason: string };
  /** Ready to serve its role: a standby is ready once it reaches the API server; a leader once its caches synced. */
  ready(): { ok: boolean; reason: string };
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** /healthz, /readyz and /metrics on one small node:http server (no framework needed for three routes). */
export async function startHealthServer(
  host: string,
  port: number,
  checks: HealthChecks,
  registry: Registry,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      const live = checks.live();
      const { ok, reason } =
        typeof live === 'boolean' ? { ok: live, reason: live ? 'ok' : 'unhealthy' } : live;
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' }).end(`${reason}\n`);
      return;
    }
    if (path === '/readyz') {
      const r = checks.ready();
      res.writeHead(r.ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${r.reason}\n`);
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
