import { afterEach, describe, expect, it } from '@jest/globals';
import { HEARTBEAT_FRAME, SseHub, sseFrame } from './sse.js';
import type { SseSink } from './sse.js';

describe('sseFrame', () => {
  it.each([
    ['fleet', { a: 1 }, 1000, 'event: fleet\ndata: {"a":1}\n\n'],
    ['event', { note: 'two\nlines' }, 1000, 'event: event\ndata: {"note":"two\\nlines"}\n\n'],
    ['fleet', { big: 'x'.repeat(100) }, 50, undefined],
  ])('%p %j (max %p)', (event, data, max, frame) => expect(sseFrame(event, data, max)).toBe(frame));

  it.each(['', 'Fleet', 'a\nb', 'x'.repeat(40), 'data: x'])('refuses the event name %p', (name) =>
    expect(() => sseFrame(name, {}, 1000)).toThrow(/bad SSE event name/),
  );
});

class Sink implements SseSink {
  chunks: string[] = [];
  ended = false;
  backlog = 0;
  write(c: string): boolean {
    this.chunks.push(c);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  pending(): number {
    return this.backlog;
  }
}

describe('SseHub', () => {
  let hub: SseHub | undefined;
  afterEach(() => hub?.close());
  const make = (maxClients = 2): SseHub =>
    (hub = new SseHub({ maxClients, maxMessageBytes: 200, heartbeatMs: 20, maxPendingBytes: 100 }));

  it('caps the number of clients', () => {
    const h = make(2);
    expect([h.add(new Sink()), h.add(new Sink()), h.add(new Sink())]).toEqual([true, true, false]);
    expect(h.size).toBe(2);
  });

  it('drops oversized messages and counts them', () => {
    const h = make();
    const s = new Sink();
    h.add(s);
    h.broadcast('fleet', { x: 'y'.repeat(500) });
    h.broadcast('fleet', { x: 1 });
    expect(s.chunks).toEqual(['event: fleet\ndata: {"x":1}\n\n']);
    expect(h.oversized).toBe(1);
  });

  it('ends and removes a client that does not read', () => {
    const h = make();
    const slow = new Sink();
    const fast = new Sink();
    h.add(slow);
    h.add(fast);
    slow.backlog = 101;
    h.broadcast('fleet', {});
    expect([slow.ended, fast.ended, h.size, h.dropped]).toEqual([true, false, 1, 1]);
  });

  it('sends heartbeats to open clients', async () => {
    const h = make();
    const s = new Sink();
    h.add(s);
    await new Promise((r) => setTimeout(r, 70));
    expect(s.chunks).toContain(HEARTBEAT_FRAME);
  });
});
