import type { Track } from './routing.js';

/**
 * Marks a forwarded turn, with the fleet's forwarding token as its value (forwarding-token.ts); a
 * pod serves such a turn itself and never forwards it again. Any other value is ignored.
 */
export const FORWARDED_HEADER = 'x-chatfleet-forwarded';
/** The serving pod's own time for a forwarded turn, so the sender can tell the added latency. */
export const SERVER_TIMING_HEADER = 'server-timing';

/** A reply larger than this from the other track is treated as a failure (ours are a few KiB). */
const MAX_REPLY_BYTES = 1024 * 1024;

export interface ForwardRequest {
  body: { message: string; sessionId?: string; userId?: string };
  authorization: string | undefined;
  /** The fleet's forwarding token. */
  token: string;
}

/** `no_token`: the fleet's forwarding token could not be read (Redis unavailable). */
export type ForwardFailure = 'no_url' | 'no_token' | 'unreachable' | 'timeout' | 'draining' | 'error';

export type ForwardResult =
  | {
      ok: true;
      status: number;
      body: unknown;
      retryAfter: string | undefined;
      /** Total time minus the serving pod's own turn time (Server-Timing), in seconds. */
      addedSeconds: number;
    }
  | { ok: false; reason: ForwardFailure };

/**
 * Sends one turn to the other track's Service (POST /v1/chat) with node's fetch (undici, pooled
 * keep-alive connections), bounded by `timeoutMs` for connect and reply together. Any answer of
 * the other pod is passed on as it is (its 429/503 included), except 503 SHUTTING_DOWN: that
 * pod did not take the turn, so the caller may serve it. Failures are returned, never thrown.
 *
 * A failure that means the turn never reached a pod (refused or unresolvable, or a pooled
 * keep-alive socket the other side had closed: a pod that went away during a rollout, or a
 * Service whose new endpoints kube-proxy has not programmed yet) is retried on a fresh connection
 * after 100, 200, 400 ms ... within the same budget, because serving it here instead breaks the
 * conversation's pin (another version answers it).
 */
export class Forwarder {
  constructor(
    private readonly urls: Partial<Record<Track, string>>,
    private readonly timeoutMs: number,
  ) {}

  async forward(track: Track, req: ForwardRequest): Promise<ForwardResult> {
    const started = performance.now();
    const left = (): number => this.timeoutMs - (performance.now() - started);
    let result = await this.attempt(track, req, started, this.timeoutMs);
    for (let backoffMs = 100; !result.ok && result.reason === 'unreachable'; backoffMs *= 2) {
      if (left() < backoffMs + 50) return result;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      result = await this.attempt(track, req, started, left());
    }
    return result;
  }

  private async attempt(
    track: Track,
    req: ForwardRequest,
    started: number,
    timeoutMs: number,
  ): Promise<ForwardResult> {
    const base = this.urls[track];
    if (!base) return { ok: false, reason: 'no_url' };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [FORWARDED_HEADER]: req.token,
    };
    if (req.authorization) headers.authorization = req.authorization;
    let res: Response;
    try {
      res = await fetch(`${base}/v1/chat`, {
        method: 'POST',
        headers,
        body: JSON.stringify(req.body),
        signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
      });
      const text = await boundedText(res);
      const body: unknown = JSON.parse(text);
      if (res.status === 503 && isDraining(body)) return { ok: false, reason: 'draining' };
      const totalMs = performance.now() - started;
      const servedMs = serverTurnMs(res.headers.get(SERVER_TIMING_HEADER));
      return {
        ok: true,
        status: res.status,
        body,
        retryAfter: res.headers.get('retry-after') ?? undefined,
        addedSeconds: Math.max(0, totalMs - servedMs) / 1000,
      };
    } catch (err) {
      return { ok: false, reason: failureReason(err) };
    }
  }
}

async function boundedText(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (!(declared <= MAX_REPLY_BYTES)) {
    await res.body?.cancel();
    throw new Error('reply without a length or too large');
  }
  return res.text();
}

function isDraining(body: unknown): boolean {
  return (body as { error?: { code?: unknown } } | null)?.error?.code === 'SHUTTING_DOWN';
}

/** `turn;dur=1.234` -> 1.234 (ms); 0 when absent or malformed. */
export function serverTurnMs(header: string | null): number {
  const m = header ? /(?:^|,)\s*turn;dur=([0-9.]+)/.exec(header) : null;
  const ms = m ? Number(m[1]) : 0;
  return Number.isFinite(ms) ? ms : 0;
}

function failureReason(err: unknown): ForwardFailure {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return 'timeout';
  }
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  if (
    /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/.test(
      code,
    )
  ) {
    return 'unreachable';
  }
  return 'error';
}
