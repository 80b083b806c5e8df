/**
 * npm run bench:bot — throughput and latency of the bot runtime against real Redis and Kafka,
 * next to two baselines measured in the same run on the same machine:
 *   1. bare fastify (constant reply, no I/O),
 *   2. fastify + exactly one pipelined Redis round trip per request (read + append a session list),
 *   3. the bot runtime (classify, session append in Redis, Kafka event).
 * Then p50/p99 at a fixed rate (70 % of the runtime's max), and idle WebSocket capacity with
 * memory per connection, and the CPU per request of each server's process (main thread and the
 * rest), of the broker and of the load generator over the rounds. Each server runs in its own child process; autocannon and the WebSocket
 * clients run in this process. Everything targets 127.0.0.1.
 *
 * Env: REDIS_URL, KAFKA_BROKERS (from .testenv/env), BENCH_DURATION_S (8), BENCH_CONNECTIONS (50),
 * BENCH_ROUNDS (3), BENCH_WS (10000), BENCH_RATE_LIMIT (the runtime's RATE_LIMIT_PER_MINUTE: on but never
 * reached by default; 0 measures without the limit). Results are printed and written to
 * bench-results/bot.json.
 */
import { chatRequests, load, LOAD_SETTINGS, maxThroughput } from './load.js';
import { report } from './report.js';
import { createTopic, need, ROOT, startServer, stop, metric, withAdmin } from './support.js';
import { idleWebSockets, WS_TARGET } from './websockets.js';

async function main(): Promise<void> {
  const redisUrl = need('REDIS_URL');
  const brokers = need('KAFKA_BROKERS');
  const tag = Date.now().toString(36);
  const topic = `bench-events-${tag}`;
  await createTopic(brokers, topic);
  const botEnv = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    REDIS_CLUSTER_NODES: '', // the baseline uses the standalone Redis; so does the runtime
    KAFKA_BROKERS: brokers,
    KAFKA_EVENTS_TOPIC: topic,
    MAX_INFLIGHT: '100000',
    // on, but never reached: every measured turn pays for the per-identity check (one INCR)
    RATE_LIMIT_PER_MINUTE: process.env.BENCH_RATE_LIMIT ?? '1000000000',
    LOG_LEVEL: 'info',
  };
  const servers = {
    bareFastify: await startServer(`${ROOT}bot-runtime/bench/servers/bare.ts`, [], {}),
    oneRoundTrip: await startServer(`${ROOT}bot-runtime/bench/servers/one-round-trip.ts`, [], {
      REDIS_URL: redisUrl,
    }),
    botRuntime: await startServer(`${ROOT}bot-runtime/main.ts`, [], botEnv),
    // Ablation: the same runtime without Kafka events, to show what the event costs on this machine.
    botRuntimeNoEvents: await startServer(`${ROOT}bot-runtime/main.ts`, [], { ...botEnv, KAFKA_BROKERS: '' }),
  };
  const requests = await chatRequests(servers.botRuntime.url);
  const { best: max, cpu } = await maxThroughput(servers, requests);
  const rate = Math.round(max.botRuntime!.rps * 0.7);
  const results: Record<string, unknown> = {
    ...LOAD_SETTINGS,
    ...max,
    cpuPerRequest: cpu,
    fixedRate: {
      rate,
      botRuntime: await load(servers.botRuntime.url, requests, rate),
      oneRoundTrip: await load(servers.oneRoundTrip.url, requests, rate),
    },
  };
  await stop(servers.bareFastify);
  await stop(servers.oneRoundTrip);
  await stop(servers.botRuntimeNoEvents);
  results.eventsProduced = await metric(servers.botRuntime.url, 'chatfleet_events_produced_total');
  results.eventsDropped = await metric(servers.botRuntime.url, 'chatfleet_events_dropped_total');
  await stop(servers.botRuntime);
  // A fresh process, so memory per connection is not blurred by the heap left by the load tests.
  const wsBot = await startServer(`${ROOT}bot-runtime/main.ts`, [], {
    ...botEnv,
    PORT: '0',
    HOST: '127.0.0.1',
    // capacity, not the per-pod cap (MAX_WS_CONNECTIONS, 2000 by default), is what is measured here
    MAX_WS_CONNECTIONS: String(WS_TARGET + 10),
  });
  results.websockets = await idleWebSockets(wsBot.url);
  await stop(wsBot);
  await withAdmin(brokers, (a) => a.deleteTopics({ topics: [topic] }));
  report(results);
}

await main();
