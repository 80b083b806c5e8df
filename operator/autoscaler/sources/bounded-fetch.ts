/**
 * GET of a tenant pod's /metrics with both a byte and a time bound. The pod runs an image the tenant
 * chooses, so it may answer with an endless body, trickle bytes forever (slowloris), never send headers,
 * or redirect elsewhere. Every case ends within `timeoutMs` with a ScrapeError naming the reason.
 */

export type ScrapeFailureReason =
  'timeout' | 'too_large' | 'http_status' | 'unreachable' | 'aborted' | 'invalid';

export class ScrapeError extends Error {
  constructor(
    readonly reason: ScrapeFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScrapeError';
  }
}

export interface FetchLimits {
  /** Deadline of the whole request: connect, headers and body. */
  timeoutMs: number;
  /** Largest body accepted, counted after content decoding (so a gzip bomb is bounded too). */
  maxBytes: number;
  /** Cancels the request early (e.g. the reconcile was cancelled). */
  signal?: AbortSignal | undefined;
}

/** How the text is fetched; the default is fetchBounded. Tests inject their own. */
export type FetchText = (url: string, limits: FetchLimits) => Promise<string>;

export const MIB = 1024 * 1024;

async function readBounded(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ScrapeError('too_large', `${what}: body larger than ${maxBytes} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The message and its cause's ("fetch failed: unexpected redirect"); by shape, as errors may come from another realm. */
function describe(err: unknown): string {
  const message = (e: unknown): string | undefined =>
    typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
      ? (e as { message: string }).message
      : undefined;
  const cause = message((err as { cause?: unknown } | null)?.cause);
  return `${message(err) ?? String(err)}${cause ? `: ${cause}` : ''}`;
}

function classify(err: unknown, what: string, limits: FetchLimits, deadline: AbortSignal): ScrapeError {
  if (err instanceof ScrapeError) return err;
  if (deadline.aborted) {
    return new ScrapeError('timeout', `${what}: no complete answer within ${limits.timeoutMs} ms`, {
      cause: err,
    });
  }
  if (limits.signal?.aborted) return new ScrapeError('aborted', `${what}: cancelled`, { cause: err });
  return new ScrapeError('unreachable', `${what}: ${describe(err)}`, { cause: err });
}

export interface RequestOptions {
  method?: string;
  body?: URLSearchParams;
  accept?: string;
  acceptStatus?: (status: number) => boolean;
}

function requestInit(init: RequestOptions, signal: AbortSignal): RequestInit {
  return {
    method: init.method ?? 'GET',
    ...(init.body ? { body: init.body } : {}),
    signal,
    // A pod or a tenant's URL must not point the operator at another address (SSRF).
    redirect: 'error',
    headers: { accept: init.accept ?? 'text/plain' },
  };
}

export const fetchBounded: FetchText = async (url, limits) => (await requestBounded(url, limits)).text;

/**
 * fetchBounded with a method and body (the Prometheus API takes POST). `acceptStatus` lets a caller
 * read the body of an error answer (Prometheus explains a bad query in a 400's JSON).
 */
export async function requestBounded(
  url: string,
  limits: FetchLimits,
  init: {
    method?: string;
    body?: URLSearchParams;
    accept?: string;
    acceptStatus?: (status: number) => boolean;
  } = {},
): Promise<{ status: number; text: string }> {
  const what = `${init.method ?? 'GET'} ${url}`;
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([deadline, limits.signal]) : deadline;
  const acceptable = init.acceptStatus ?? ((status: number) => status >= 200 && status < 300);
  try {
    const res = await fetch(url, requestInit(init, signal));
    if (!acceptable(res.status) || res.body === null) {
      await res.body?.cancel().catch(() => undefined);
      throw new ScrapeError('http_status', `${what}: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > limits.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new ScrapeError(
        'too_large',
        `${what}: Content-Length ${declared} exceeds ${limits.maxBytes} bytes`,
      );
    }
    return { status: res.status, text: await readBounded(res.body, limits.maxBytes, what) };
  } catch (err) {
    throw classify(err, what, limits, deadline);
  }
}
