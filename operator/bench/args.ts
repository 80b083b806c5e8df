import { readFileSync } from 'node:fs';
import { operatorNodeFlags, root } from './operator-process.js';

/** What one bench run does: from argv[2] and BENCH_* variables. */
export interface BenchArgs {
  fleets: number;
  concurrency: number;
  parallelCreates: number;
  /** Fail when no further fleet turned Ready for this long. */
  stallSeconds: number;
  /** Fail when not every fleet is Ready after this long. */
  deadlineSeconds: number;
  /** The quiet window after every fleet is Ready in which requests are counted. */
  steadySeconds: number;
  /** Node/V8 flags the operator runs with (the image's, unless BENCH_NODE_FLAGS). */
  nodeFlags: string[];
}

export function benchArgs(): BenchArgs {
  const n = Number(process.argv[2] ?? process.env.BENCH_FLEETS ?? 1000);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`fleet count must be a positive integer, got ${process.argv[2]}`);
  return {
    fleets: n,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 4),
    parallelCreates: 16,
    stallSeconds: Number(process.env.BENCH_STALL_SECONDS ?? 120),
    deadlineSeconds: Number(process.env.BENCH_DEADLINE_SECONDS ?? Math.max(600, n * 2)),
    steadySeconds: Number(process.env.BENCH_STEADY_SECONDS ?? 60),
    nodeFlags: operatorNodeFlags(
      readFileSync(`${root}operator/Dockerfile`, 'utf8'),
      process.env.BENCH_NODE_FLAGS,
    ),
  };
}
