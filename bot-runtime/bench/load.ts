import autocannon from 'autocannon';
import { addCpu, brokerPid, cpuBetween, sampleCpu, serverPid, type CpuSample } from './cpu.js';
import type { Server } from './support.js';

/** HTTP load with autocannon: the chat requests, one measured run, and the best of interleaved rounds. */

const DURATION = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const LOAD_SETTINGS = { durationSeconds: DURATION, connections: CONNECTIONS, rounds: ROUNDS };

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests answered in the run. */
  total: number;
}

/** A server's CPU over every measured round, and the requests those rounds answered. */
export interface RoundsCpu {
  cpu: CpuSample;
  requests: number;
}

/**
 * 200 sessions, a mix of intents: the fast path (no LLM) that the issue asks to measure. The
 * sessions are opened first on `url` (only the server makes session ids), so every measured turn
 * continues one: owner check, rate limit, append.
 */
export async function chatRequests(url: string): Promise<autocannon.Request[]> {
  const messages = ['hello', 'where is my order', 'is delivery free', 'thanks', 'cancel my order'];
  const request = (body: Record<string, string>): autocannon.Request => ({
    method: 'POST' as const,
    path: '/v1/chat',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const message = messages[i % messages.length]!;
      const res = await fetch(`${url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message }),
      });
      const { sessionId } = (await res.json()) as { sessionId?: string };
      if (res.status !== 200 || !sessionId) throw new Error(`opening a bench session: ${res.status}`);
      return request({ message, sessionId });
    }),
  );
}

export async function load(url: string, requests: autocannon.Request[], rate?: number): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests,
    ...(rate ? { overallRate: rate } : {}),
  });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

function best(a: LoadResult | undefined, b: LoadResult): LoadResult {
  return !a || b.rps > a.rps ? b : a;
}

/**
 * The servers stay up and are measured in turn, ROUNDS times, keeping each one's best round: on a
 * shared 2-core machine the background load shifts, and interleaving keeps the comparison fair.
 * Each server's CPU (its process, the broker, this process) is summed over all its rounds.
 */
export async function maxThroughput(
  servers: Record<string, Server>,
  requests: autocannon.Request[],
): Promise<{ best: Record<string, LoadResult>; cpu: Record<string, RoundsCpu> }> {
  const out: Record<string, LoadResult> = {};
  const cpu: Record<string, RoundsCpu> = {};
  const broker = brokerPid();
  for (const s of Object.values(servers))
    await autocannon({ url: s.url, connections: CONNECTIONS, duration: 3, requests });
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, s] of Object.entries(servers)) {
      const pid = serverPid(s);
      const before = sampleCpu(pid, broker);
      const result = await load(s.url, requests);
      const used = cpuBetween(before, sampleCpu(pid, broker));
      out[name] = best(out[name], result);
      cpu[name] = { cpu: addCpu(cpu[name]?.cpu, used), requests: (cpu[name]?.requests ?? 0) + result.total };
    }
  }
  return { best: out, cpu };
}
