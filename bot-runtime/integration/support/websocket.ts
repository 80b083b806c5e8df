import { WebSocket } from 'ws';

/** Opens a WebSocket to the runtime's chat endpoint and waits for the handshake. */
export async function openChatSocket(
  url: string,
  opts: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/chat/ws`, opts);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** The frames a socket receives, in order: each call resolves the next one (queued if it came early). */
export function frames(ws: WebSocket): () => Promise<Record<string, unknown>> {
  const queue: Record<string, unknown>[] = [];
  const waiters: ((f: Record<string, unknown>) => void)[] = [];
  ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString()) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(f);
    else queue.push(f);
  });
  return () => {
    const f = queue.shift();
    return f ? Promise.resolve(f) : new Promise((resolve) => waiters.push(resolve));
  };
}
