import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consumeUntil, createTopic, deleteTopic } from './support/kafka.js';
import { requireEnv, runId } from './support/env.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Attack: an oversized Kafka batch. With EVENTS_INCLUDE_TEXT, an event carries the message, and
 * JSON escapes a control character into 6 bytes: a 250 KB message becomes a 1.5 MB event, over
 * the broker's 1 MB message.max.bytes (the real broker of the test environment, default limit).
 * Before, the broker refused the batch holding it, the batch went back to the front, and it was
 * retried forever: no event behind it was ever delivered. Now such an event is dropped and
 * counted (reason too_large), batches are bounded in bytes and split when the broker refuses one.
 */
const oversized = '\u0001'.repeat(250_000); // JSON: 1.5 MB
const medium = '\u0001'.repeat(35_000); // JSON: 210 KB; ten of them are a 2.1 MB batch

async function attack(rt: Runtime, tag: string): Promise<{ expected: string[]; oversizedId: string }> {
  const before = runId(`${tag}-before`);
  expect((await postChat(rt.url, { message: 'hello', sessionId: before })).status).toBe(200);
  const oversizedId = runId(`${tag}-big`);
  expect((await postChat(rt.url, { message: oversized, sessionId: oversizedId })).status).toBe(200);
  const mediums = Array.from({ length: 10 }, (_, i) => runId(`${tag}-m${i}`));
  await Promise.all(mediums.map((sessionId) => postChat(rt.url, { message: medium, sessionId })));
  const after = Array.from({ length: 20 }, (_, i) => runId(`${tag}-a${i}`));
  for (const sessionId of after) {
    expect((await postChat(rt.url, { message: 'where is my order', sessionId })).status).toBe(200);
  }
  return { expected: [before, ...mediums, ...after], oversizedId };
}

async function delivered(topic: string, expected: string[]): Promise<Set<string>> {
  const want = new Set(expected);
  const seen = new Set<string>();
  let read = 0;
  await consumeUntil(
    topic,
    (values) => {
      for (const v of values.slice(read)) seen.add((JSON.parse(v) as { sessionId: string }).sessionId);
      read = values.length;
      return [...want].every((id) => seen.has(id));
    },
    30_000,
  );
  return seen;
}

describe.each([
  ['the runtime knows the limit: dropped before it is sent', '', 'known'],
  [
    'KAFKA_MAX_MESSAGE_BYTES above the broker limit: the broker refuses, the batch is split',
    '4194304',
    'unknown',
  ],
])('an oversized Kafka batch (%s)', (_name, maxMessageBytes, tag) => {
  const topic = runId(`cf-oversized-${tag}`);
  let rt: Runtime;

  beforeAll(async () => {
    await createTopic(topic, 1);
    rt = await startRuntime({
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_EVENTS_TOPIC: topic,
      EVENTS_INCLUDE_TEXT: 'true',
      MAX_MESSAGE_BYTES: '300000',
      RATE_LIMIT_PER_MINUTE: '0',
      ...(maxMessageBytes && { KAFKA_MAX_MESSAGE_BYTES: maxMessageBytes }),
    });
  });
  afterAll(async () => {
    await rt?.close();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('drops the 1.5 MB event as too_large and delivers every event around it', async () => {
    const { expected, oversizedId } = await attack(rt, tag);
    const seen = await delivered(topic, expected);
    expect(expected.filter((id) => !seen.has(id))).toEqual([]);
    expect(seen.has(oversizedId)).toBe(false);
    expect(await metricValue(rt.registry, 'chatfleet_events_dropped_total', { reason: 'too_large' })).toBe(1);
    expect(await metricValue(rt.registry, 'chatfleet_events_dropped_total')).toBe(1);
    expect(rt.events?.pending).toBe(0);
  });
});
