import { mkdirSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';
import { ROOT } from './support.js';

function ratio(a: number, b: number): string {
  return `${((100 * a) / b).toFixed(1)} %`;
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
  console.log(`events produced ${String(r.eventsProduced)}, dropped ${String(r.eventsDropped)}`);
  console.log('idle WebSockets:', r.websockets);
  mkdirSync(`${ROOT}bench-results`, { recursive: true });
  writeFileSync(
    `${ROOT}bench-results/bot.json`,
    JSON.stringify({ at: new Date().toISOString(), ...r }, null, 2),
  );
}
