import { mkdirSync, writeFileSync } from 'node:fs';
import type { LoadResult, RoundsCpu } from './load.js';
import { ROOT } from './support.js';

function ratio(a: number, b: number): string {
  return `${((100 * a) / b).toFixed(1)} %`;
}

const SERVER_NAMES: Record<string, string> = {
  bareFastify: 'bare fastify',
  oneRoundTrip: 'fastify + 1 pipelined Redis round trip',
  botRuntime: 'bot runtime',
  botRuntimeNoEvents: 'bot runtime without Kafka events',
};

const perRequest = (micros: number, requests: number): string =>
  Number.isFinite(micros) && requests > 0 ? (micros / requests).toFixed(1) : 'n/a';

/** Where a request's CPU goes, summed over the rounds: what the event costs, and on which process. */
function cpuTable(cpu: Record<string, RoundsCpu>): void {
  console.log(
    '\n| CPU µs per request, all rounds | server process | its main thread | its other threads | broker | load generator |\n|---|---|---|---|---|---|',
  );
  for (const [name, { cpu: c, requests: n }] of Object.entries(cpu)) {
    const others = c.serverMicros - c.serverMainMicros;
    console.log(
      `| ${SERVER_NAMES[name] ?? name} | ${perRequest(c.serverMicros, n)} | ${perRequest(c.serverMainMicros, n)} | ${perRequest(others, n)} | ${perRequest(c.brokerMicros, n)} | ${perRequest(c.loadMicros, n)} |`,
    );
  }
}

export function report(r: Record<string, unknown>): void {
  const bare = r.bareFastify as LoadResult;
  const one = r.oneRoundTrip as LoadResult;
  const bot = r.botRuntime as LoadResult;
  const noEvents = r.botRuntimeNoEvents as LoadResult;
  const fixed = r.fixedRate as { rate: number; botRuntime: LoadResult; oneRoundTrip: LoadResult };
  const rows = [
    ['bare fastify', bare],
    ['fastify + 1 pipelined Redis round trip', one],
    ['bot runtime (classify + Redis session + Kafka event)', bot],
    ['bot runtime without Kafka events (ablation)', noEvents],
    [`bot runtime @ ${fixed.rate} req/s (70 %)`, fixed.botRuntime],
    [`1-round-trip @ ${fixed.rate} req/s`, fixed.oneRoundTrip],
  ] as const;
  console.log(
    '\n| server | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx |\n|---|---|---|---|---|---|---|',
  );
  for (const [name, x] of rows)
    console.log(`| ${name} | ${x.rps} | ${x.p50} | ${x.p90} | ${x.p99} | ${x.errors} | ${x.non2xx} |`);
  console.log(
    `\nbot / 1-round-trip throughput: ${ratio(bot.rps, one.rps)}   bot / bare fastify: ${ratio(bot.rps, bare.rps)}`,
  );
  console.log(`bot without Kafka events / 1-round-trip: ${ratio(noEvents.rps, one.rps)}`);
  console.log(`bot / bot without Kafka events: ${ratio(bot.rps, noEvents.rps)}`);
  cpuTable(r.cpuPerRequest as Record<string, RoundsCpu>);
  console.log(`events produced ${String(r.eventsProduced)}, dropped ${String(r.eventsDropped)}`);
  console.log('idle WebSockets:', r.websockets);
  mkdirSync(`${ROOT}bench-results`, { recursive: true });
  writeFileSync(
    `${ROOT}bench-results/bot.json`,
    JSON.stringify({ at: new Date().toISOString(), ...r }, null, 2),
  );
}
