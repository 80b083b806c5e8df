import { open, stat } from 'node:fs/promises';
import { ROUTING_MAX_BYTES } from './routing.js';
import type { RoutingInput } from './routing-state.js';

/** Polls a routing.json file (CHATFLEET_ROUTING_FILE): stat every interval, read on change. */
export class FileRoutingSource {
  private timer: NodeJS.Timeout | undefined;
  private signature: string | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly offer: (input: RoutingInput) => void,
    private readonly intervalMs = 1000,
  ) {}

  /** Reads once (the first routing is there before the server listens), then polls. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll());
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  private async poll(): Promise<void> {
    try {
      const st = await stat(this.path);
      const signature = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (signature === this.signature) return;
      this.signature = signature;
      this.offer({ kind: 'text', text: await readBounded(this.path) });
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      this.signature = missing ? 'missing' : undefined;
      this.offer(missing ? { kind: 'missing' } : { kind: 'error', err });
    }
  }
}

/** Reads at most one byte more than the limit, so an oversized file is refused without reading it all. */
async function readBounded(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(ROUTING_MAX_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
