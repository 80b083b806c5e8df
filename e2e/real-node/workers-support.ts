/**
 * Helpers of the real-node worker-pool suite (workers.test.ts): the chart's worker PriorityClass,
 * cache.put tasks produced from the host onto a fleet's tasks topic, a tally of the tasks the worker
 * pods report done (their own /metrics, scraped while they live), and an open-loop chat load with
 * its latency percentiles.
 */
import type * as k8s from '@kubernetes/client-node';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { kafkaClient } from '../../bot-runtime/integration/support/kafka.js';
import { kubectlPath, testenvVar } from '../support/env.js';
import { httpText, postJsonFresh, readyPods } from './support.js';

const run = promisify(execFile);

export const WORKER_SELECTOR = (instance: string): string =>
  `app.kubernetes.io/name=chatbot-worker,app.kubernetes.io/instance=${instance}`;

async function kubectlStdin(args: string[], input: string): Promise<void> {
  const proc = spawn(kubectlPath(), ['--kubeconfig', testenvVar('KUBECONFIG'), ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${stderr}`);
}

/** The chart's worker PriorityClass (templates/worker-priorityclass.yaml), rendered and applied under `name`. */
export async function applyChartWorkerPriorityClass(name: string): Promise<void> {
  const { stdout } = await run(
    testenvVar('HELM'),
    [
      ...['template', 'rn', 'charts/chatfleet', '--kube-version', '1.36.0'],
      ...['--set', 'workerPriorityClass.create=true', '--set', `workerPriorityClass.name=${name}`],
      ...['--show-only', 'templates/worker-priorityclass.yaml'],
    ],
    { timeout: 30_000 },
  );
  await kubectlStdin(['apply', '-f', '-'], stdout);
}

export async function deletePriorityClass(name: string): Promise<void> {
  await run(kubectlPath(), [
    ...['--kubeconfig', testenvVar('KUBECONFIG'), 'delete', 'priorityclass', name, '--ignore-not-found'],
  ]);
}

export interface CacheTask {
  id: string;
  type: 'cache.put';
  modelVersion: string;
  question: string;
  answer: string;
}

/** `count` distinct cache.put tasks, keyed like sessions so they spread over the partitions. */
export function cacheTasks(prefix: string, modelVersion: string, count: number): CacheTask[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'cache.put',
    modelVersion,
    question: `zqx ${prefix} vlorp ${i}`,
    answer: `prewarmed answer ${prefix} ${i}`,
  }));
}

/** Produces the tasks from the host in batches of 1,000; resolves when the broker acknowledged all. */
export async function produceTasks(topic: string, tasks: CacheTask[]): Promise<void> {
  const producer = kafkaClient('cf-rn-workers').producer();
  await producer.connect();
  try {
    for (let i = 0; i < tasks.length; i += 1000) {
      const messages = tasks.slice(i, i + 1000).map((t) => ({ key: t.id, value: JSON.stringify(t) }));
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** chatfleet_worker_tasks_total with result="done", summed over task types. */
function doneCount(metrics: string): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('chatfleet_worker_tasks_total{') && l.includes('result="done"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Scrapes every Ready worker pod's /metrics every 500 ms and keeps each pod's highest done count
 * (a counter: a pod scaled away keeps the last value it reported). Also records the first time a
 * worker pod was Ready and the most Ready pods seen at once.
 */
export class WorkerTally {
  private readonly perPod = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  firstReadyAt: number | undefined;
  mostReady = 0;

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.scrape(), 500);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  done(): number {
    return [...this.perPod.values()].reduce((a, b) => a + b, 0);
  }

  pods(): number {
    return this.perPod.size;
  }

  private async scrape(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pods = await readyPods(this.core, this.namespace, WORKER_SELECTOR(this.instance));
      if (pods.length > 0) this.firstReadyAt ??= Date.now();
      this.mostReady = Math.max(this.mostReady, pods.length);
      await Promise.all(
        pods.map(async (p) => {
          const r = await httpText(`http://${p.ip}:8081/metrics`).catch(() => undefined);
          if (r?.status !== 200) return;
          this.perPod.set(p.name, Math.max(this.perPod.get(p.name) ?? 0, doneCount(r.body)));
        }),
      );
    } catch {
      // the next scrape tries again; the waits that read the tally carry their own deadlines
    } finally {
      this.busy = false;
    }
  }
}

export interface LoadResult {
  latenciesMs: number[];
  failures: string[];
}

/**
 * An open-loop chat load: `ratePerSecond` turns a second for `seconds`, each started on schedule
 * whether or not the previous ones answered (a closed loop would hide queueing), each over a
 * fresh connection through the Service. No turn starts once `until` says so (the load it measures
 * against has ended).
 */
export async function chatLoad(
  url: string,
  ratePerSecond: number,
  seconds: number,
  until: () => boolean = () => false,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  const total = ratePerSecond * seconds;
  const started = performance.now();
  const turns: Promise<void>[] = [];
  for (let i = 0; i < total && !until(); i++) {
    const due = started + (i * 1000) / ratePerSecond;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const t0 = performance.now();
    turns.push(
      postJsonFresh(url, { message: 'hello' }).then(
        (res) => {
          if (res.status === 200) latenciesMs.push(performance.now() - t0);
          else failures.push(`status ${res.status}`);
        },
        (err: unknown) => void failures.push(String(err)),
      ),
    );
  }
  await Promise.all(turns);
  return { latenciesMs, failures };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const POD_CGROUPS = '/sys/fs/cgroup/cpuacct/chatfleet-real-node/kubepods';

/** CPU seconds used so far by the namespace's pods, by app.kubernetes.io/name (the node's cgroups). */
export async function podCpuSeconds(core: k8s.CoreV1Api, namespace: string): Promise<Map<string, number>> {
  const { readFile } = await import('node:fs/promises');
  const pods = await core.listNamespacedPod({ namespace });
  const byRole = new Map<string, number>();
  for (const p of pods.items) {
    const role = p.metadata?.labels?.['app.kubernetes.io/name'] ?? 'other';
    for (const qos of ['burstable', 'besteffort', '']) {
      const path = `${POD_CGROUPS}/${qos}/pod${p.metadata?.uid ?? ''}/cpuacct.usage`;
      const ns = await readFile(path, 'utf8').catch(() => undefined);
      if (ns === undefined) continue;
      byRole.set(role, (byRole.get(role) ?? 0) + Number(ns) / 1e9);
      break;
    }
  }
  return byRole;
}

/** CPU cores each role used between two podCpuSeconds readings `seconds` apart, for the log. */
export function cpuLine(before: Map<string, number>, after: Map<string, number>, seconds: number): string {
  const roles = [...after.keys()].sort();
  return roles.map((r) => `${r} ${((after.get(r)! - (before.get(r) ?? 0)) / seconds).toFixed(2)}`).join(', ');
}

/** The 1-minute load average and the machine's busy share of all CPUs between two /proc/stat reads. */
export async function machineBusy(): Promise<{ load: number; busy: number; total: number }> {
  const { readFile } = await import('node:fs/promises');
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  const load = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
  return { load, busy: total - idle, total };
}
