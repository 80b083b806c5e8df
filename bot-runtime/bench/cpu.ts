import { existsSync, readFileSync } from 'node:fs';
import { ROOT, type Server } from './support.js';

/**
 * CPU time of what a bench round loads, from /proc (Linux; the kernel counts in 10 ms clock ticks,
 * so a figure is only as good as a round is long): the server's process and its main thread, the
 * Kafka broker, and this process (the load generator).
 */
export interface CpuSample {
  serverMicros: number;
  serverMainMicros: number;
  brokerMicros: number;
  loadMicros: number;
}

const TICK_MICROS = 10_000;

/** utime + stime of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat, in µs; NaN when it is gone. */
function statMicros(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  } catch {
    return Number.NaN;
  }
}

/** A process's CPU (all its threads) in µs, from /proc; NaN without a pid or when it is gone. */
export function processMicros(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : statMicros(`/proc/${pid}/stat`);
}

/** The server's node process: `tsx` runs the script in a child of the pid we spawned. */
export function serverPid(server: Server): number {
  const pid = server.proc.pid as number;
  const children = `/proc/${pid}/task/${pid}/children`;
  const child = existsSync(children) ? Number(readFileSync(children, 'utf8').trim().split(' ')[0]) : 0;
  return child > 0 ? child : pid;
}

/** BENCH_BROKER_PID, else the test environment's broker (testenv/up.sh writes "pid starttime"). */
export function brokerPid(): number | undefined {
  if (process.env.BENCH_BROKER_PID) return Number(process.env.BENCH_BROKER_PID);
  const file = `${process.env.CHATFLEET_TESTENV_DIR ?? `${ROOT}.testenv`}/pids/kafka.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim().split(' ')[0]);
  return pid > 0 ? pid : undefined;
}

export function sampleCpu(pid: number, broker: number | undefined): CpuSample {
  const self = process.cpuUsage();
  return {
    serverMicros: processMicros(pid),
    serverMainMicros: statMicros(`/proc/${pid}/task/${pid}/stat`),
    brokerMicros: processMicros(broker),
    loadMicros: self.user + self.system,
  };
}

const FIELDS = ['serverMicros', 'serverMainMicros', 'brokerMicros', 'loadMicros'] as const;

function fieldwise(a: CpuSample, b: CpuSample, f: (x: number, y: number) => number): CpuSample {
  return Object.fromEntries(FIELDS.map((k) => [k, f(a[k], b[k])])) as unknown as CpuSample;
}

export const cpuBetween = (a: CpuSample, b: CpuSample): CpuSample => fieldwise(a, b, (x, y) => y - x);

export const addCpu = (a: CpuSample | undefined, b: CpuSample): CpuSample =>
  a === undefined ? b : fieldwise(a, b, (x, y) => x + y);
