/**
 * Server-Sent Events framing (pure) and a bounded hub: at most `maxClients` streams, each message
 * at most `maxMessageBytes`, a comment heartbeat so proxies and the browser keep the stream open,
 * and a client removed as soon as its socket closes or its buffer backs up.
 */

/** One SSE frame. Data is JSON on a single line (JSON.stringify escapes newlines), so no line splitting is needed. */
export function sseFrame(event: string, data: unknown, maxBytes: number): string | undefined {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(event)) throw new Error(`bad SSE event name ${JSON.stringify(event)}`);
  const json = JSON.stringify(data);
  const frame = `event: ${event}\ndata: ${json}\n\n`;
  return Buffer.byteLength(frame) > maxBytes ? undefined : frame;
}

export const HEARTBEAT_FRAME = ': heartbeat\n\n';

export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  /** Bytes waiting to be sent (node's writableLength); a client that does not read is dropped. */
  pending(): number;
}

export interface SseHubOptions {
  maxClients: number;
  maxMessageBytes: number;
  heartbeatMs: number;
  /** A client with more than this queued is too slow and is dropped. */
  maxPendingBytes: number;
}

export class SseHub {
  private readonly clients = new Set<SseSink>();
  private readonly timer: NodeJS.Timeout;
  dropped = 0;
  oversized = 0;

  constructor(private readonly opts: SseHubOptions) {
    this.timer = setInterval(() => this.sendRaw(HEARTBEAT_FRAME), opts.heartbeatMs);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Adds a client; false when the hub is full (the caller answers 503). */
  add(sink: SseSink): boolean {
    if (this.clients.size >= this.opts.maxClients) return false;
    this.clients.add(sink);
    return true;
  }

  remove(sink: SseSink): void {
    this.clients.delete(sink);
  }

  broadcast(event: string, data: unknown): void {
    const frame = sseFrame(event, data, this.opts.maxMessageBytes);
    if (frame === undefined) {
      this.oversized++;
      return;
    }
    this.sendRaw(frame);
  }

  private sendRaw(frame: string): void {
    for (const c of this.clients) {
      if (c.pending() > this.opts.maxPendingBytes) {
        this.dropped++;
        this.clients.delete(c);
        c.end();
        continue;
      }
      c.write(frame);
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
