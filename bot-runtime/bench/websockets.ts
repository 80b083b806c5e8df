import { WebSocket } from 'ws';
import { metric } from './support.js';

/** Idle WebSocket capacity: how many connections one runtime holds, and the memory each costs. */

export const WS_TARGET = Number(process.env.BENCH_WS ?? 10_000);

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/chat/ws`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function idleWebSockets(url: string): Promise<Record<string, number>> {
  await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage settle
  const rssBefore = await metric(url, 'process_resident_memory_bytes');
  const heapBefore = await metric(url, 'nodejs_heap_size_used_bytes');
  const sockets: WebSocket[] = [];
  let failed = 0;
  for (let i = 0; i < WS_TARGET; i += 250) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(250, WS_TARGET - i) }, () => openSocket(url)),
    );
    for (const b of batch) if (b.status === 'fulfilled') sockets.push(b.value);
    failed += batch.filter((b) => b.status === 'rejected').length;
  }
  await new Promise((r) => setTimeout(r, 2000));
  const open = await metric(url, 'chatfleet_websocket_connections');
  const rssAfter = await metric(url, 'process_resident_memory_bytes');
  const heapAfter = await metric(url, 'nodejs_heap_size_used_bytes');
  const probe = sockets[Math.floor(sockets.length / 2)];
  const answered = probe ? await roundTrip(probe) : false;
  sockets.forEach((s) => s.terminate());
  return {
    attempted: WS_TARGET,
    open,
    failed,
    answeredWhileFull: answered ? 1 : 0,
    rssPerConnKiB: Math.round((rssAfter - rssBefore) / Math.max(1, open) / 102.4) / 10,
    heapPerConnKiB: Math.round((heapAfter - heapBefore) / Math.max(1, open) / 102.4) / 10,
    rssMiB: Math.round(rssAfter / 1048576),
  };
}

function roundTrip(ws: WebSocket): Promise<boolean> {
  return new Promise((resolve) => {
    ws.once('message', (d: Buffer) => resolve(String(d).includes('"intent":"greet"')));
    ws.send(JSON.stringify({ message: 'hello' }));
  });
}
