// A TLS proxy in front of the API server that holds back one request or one response (split-brain tests).
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TestUser } from './audit.js';

export interface InterposingProxy {
  url: string;
  /** Resolves when the first request `stall` accepts arrived (and is being held). */
  stalled: Promise<void>;
  /** Forwards the stalled request. */
  releaseStall(): void;
  /** Resolves when the response to the first request `holdResponse` accepts is being held. */
  held: Promise<void>;
  /** Sends the held response on. */
  release(): void;
  close(): Promise<void>;
}

export interface ProxyRules {
  /** The first request this accepts is forwarded only on releaseStall(). */
  stall?: (req: IncomingMessage) => boolean;
  /** The first request this accepts is forwarded at once, and its response held until release(). */
  holdResponse?: (req: IncomingMessage) => boolean;
}

/**
 * A TLS-terminating proxy to the API server on loopback, authenticating upstream as `user`, that
 * delays one request or one response as `rules` say; everything else (the Lease, watches) goes
 * straight through. It serves the API server's own certificate, which names 127.0.0.1 and is
 * signed by the CA the kubeconfig trusts.
 */
export async function interposingProxy(user: TestUser, rules: ProxyRules): Promise<InterposingProxy> {
  const pki = dirname(user.ca);
  const upstream = new URL(user.server);
  const agent = new https.Agent({
    keepAlive: true,
    ca: readFileSync(user.ca),
    cert: readFileSync(user.cert),
    key: readFileSync(user.key),
  });
  let stalling = false;
  let releaseStall: () => void = () => undefined;
  let onStalled: () => void = () => undefined;
  const stalled = new Promise<void>((r) => (onStalled = r));
  let holding = false;
  let onHeld: () => void = () => undefined;
  const held = new Promise<void>((r) => (onHeld = r));
  let release: () => void = () => undefined;
  const forward = (req: IncomingMessage, res: ServerResponse, hold: boolean): void => {
    const up = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (ur) => {
        const respond = (): void => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          res.flushHeaders(); // a watch answers with headers and then nothing for a while
          ur.pipe(res);
        };
        if (!hold) return respond();
        release = respond;
        onHeld();
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  };
  const server = https.createServer(
    { cert: readFileSync(join(pki, 'apiserver.crt')), key: readFileSync(join(pki, 'apiserver.key')) },
    (req, res) => {
      if (!stalling && rules.stall?.(req)) {
        stalling = true;
        releaseStall = () => forward(req, res, false);
        onStalled();
        return;
      }
      const hold = !holding && (rules.holdResponse?.(req) ?? false);
      if (hold) holding = true;
      forward(req, res, hold);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    stalled,
    releaseStall: () => releaseStall(),
    held,
    release: () => release(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
