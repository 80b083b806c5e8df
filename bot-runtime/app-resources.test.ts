import { describe, expect, it } from '@jest/globals';
import { buildApp } from './app.js';
import type { ConversationEvent, EventSink } from './events/conversation-event.js';
import { testDeps } from './test-support.js';

/** An event sink that records whether the app closed it (our own interface, not a Kafka mock). */
class ClosableSink implements EventSink {
  readonly enabled = true;
  readonly connected = true;
  closedWith: number | undefined;
  publish(_e: ConversationEvent): void {}
  close(timeoutMs: number): Promise<void> {
    this.closedWith = timeoutMs;
    return Promise.resolve();
  }
}

/** Without Redis or Kafka: the same ownership the integration test checks with real connections. */
describe('buildApp owns what it opens', () => {
  it('closes the event sink when the bundle cannot be loaded, and rethrows', async () => {
    const sink = new ClosableSink();
    const deps = testDeps(
      { MODEL_BUNDLE: '/nonexistent/bundle.json', EVENTS_FLUSH_TIMEOUT_MS: '1234' },
      { events: sink },
    );
    await expect(buildApp(deps)).rejects.toThrow(/ENOENT/);
    expect(sink.closedWith).toBe(1234);
  });

  it('opens no Redis without REDIS_URL, and close() closes the sink with EVENTS_FLUSH_TIMEOUT_MS', async () => {
    const sink = new ClosableSink();
    const app = await buildApp(testDeps({ EVENTS_FLUSH_TIMEOUT_MS: '4321' }, { events: sink }));
    expect(app.redis).toBeUndefined();
    expect(app.sessions).toBeUndefined();
    expect(app.models.current.version).toBe('2026.11.0');
    expect(sink.closedWith).toBeUndefined();
    await app.close();
    expect(sink.closedWith).toBe(4321);
  });
});
