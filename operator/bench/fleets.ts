import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import type { ChatbotDeployment, ChatbotDeploymentInput } from '../api/index.js';
import type { KubeObject } from '../workload/types.js';
import { ownedBy } from './steady-copy.js';
import type { FleetCopy } from './steady-copy.js';
import type { BenchArgs } from './args.js';

/**
 * The bench's fleets: the CRs it creates, the same children written directly (the baseline), and how
 * many of the fleets are Ready.
 */
/** The Secret the bench's fleets name as their external Redis (nothing connects to it: kwok pods run nothing). */
export const BENCH_REDIS_SECRET = 'bench-redis';

/**
 * Small requests, one replica and external Redis: every fleet is exactly one bot pod, so 1,000
 * fleets fit the kwok nodes (3 x 400 pods). With the default managed Redis each fleet would add
 * a Redis pod, and 2,000 pods do not fit.
 */
export function crInput(namespace: string, i: number): ChatbotDeploymentInput {
  return {
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name: `fleet-${i}`, namespace },
    spec: {
      runtime: {
        image: 'registry.local/chatfleet-bot:1.0',
        resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '32Mi' } },
      },
      model: { name: 'bench', version: 'v1' },
      // The autoscaler reads the env's Prometheus (loopback), as a production fleet reads a metric source
      // that answers: scraping kwok pods, which serve nothing, stalls a worker for the 2 s scrape
      // timeout per pod and measures the test environment, not the operator.
      scaling: {
        minReplicas: 1,
        maxReplicas: 2,
        metrics: {
          source: 'prometheus',
          prometheus: { url: process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:19090' },
        },
      },
      sessions: { redis: { mode: 'external', secretRef: { name: BENCH_REDIS_SECRET } } },
    },
  };
}

export async function createRedisSecret(client: KubeClient, namespace: string): Promise<void> {
  await client.create(Resources.Secret, namespace, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BENCH_REDIS_SECRET, namespace },
    stringData: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  });
}

export async function pool<T>(items: T[], parallel: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(Resources.Namespace, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

/**
 * The baseline: the operator's steady end state (copySteadyState) written directly, in the operator
 * run's order and parallelism: the CRs created `parallelCreates` at a time (as the bench creates them
 * for the operator) while `concurrency` writers (the operator's workers) take each fleet once its CR
 * exists: every child but the Deployments in parallel, then the Deployments, then one status apply.
 */
export async function baseline(
  client: KubeClient,
  ns: string,
  copies: FleetCopy[],
  a: BenchArgs,
): Promise<{ fleets: number; objects: number; seconds: number }> {
  await createNamespace(client, ns);
  await createRedisSecret(client, ns);
  const byName = new Map(copies.map((c) => [c.name, c]));
  const inputs = Array.from({ length: a.fleets }, (_, i) => crInput(ns, i));
  const nameOf = (input: ChatbotDeploymentInput): string => input.metadata.name ?? '';
  const uids = new Map<string, (uid: string) => void>();
  const created = inputs.map((input) => new Promise<string>((r) => uids.set(nameOf(input), r)));
  let objects = 0;
  const t0 = performance.now();
  const creates = pool(inputs, a.parallelCreates, async (input) => {
    const cr = await client.create<ChatbotDeployment>(Resources.ChatbotDeployment, ns, input);
    uids.get(nameOf(input))?.(cr.metadata.uid ?? '');
  });
  const writes = pool(
    inputs.map((input, i) => ({ input, created: created[i]! })),
    a.concurrency,
    async ({ input, created: uidOf }) => {
      const copy = byName.get(nameOf(input));
      if (!copy) throw new Error(`the operator's steady state has no fleet ${nameOf(input)}`);
      const uid = await uidOf;
      await Promise.all(
        copy.children.map((c) =>
          client.apply(ownedBy(c.object, uid), BASELINE_MANAGER, { resource: c.resource }),
        ),
      );
      for (const d of copy.deployments) {
        await client.apply(ownedBy(d, uid), BASELINE_MANAGER, { resource: Resources.Deployment });
      }
      await client.apply(statusOf(ns, nameOf(input), copy.status), BASELINE_MANAGER, {
        subresource: 'status',
        resource: Resources.ChatbotDeployment,
      });
      objects += 2 + copy.children.length + copy.deployments.length;
    },
  );
  await Promise.all([creates, writes]);
  return { fleets: a.fleets, objects, seconds: (performance.now() - t0) / 1000 };
}

const BASELINE_MANAGER = 'chatfleet-bench';

function statusOf(ns: string, name: string, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name, namespace: ns },
    status,
  };
}

/** Deployments of `ns` whose pods are all available: how long the baseline's pods take (kwok, controllers). */
export async function availableDeployments(client: KubeClient, ns: string): Promise<number> {
  const list = await client.list<
    KubeObject & { spec?: { replicas?: number }; status?: { availableReplicas?: number } }
  >(Resources.Deployment, ns);
  return list.items.filter((d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1)).length;
}

export function isReady(cbd: ChatbotDeployment): boolean {
  const cond = cbd.status?.conditions?.find((c) => c.type === 'Ready');
  return cond?.status === 'True' && cbd.status?.observedGeneration === cbd.metadata.generation;
}

/** How many of the CRs are Ready, and the Ready reasons of the others. */
export function readiness(items: ChatbotDeployment[]): { ready: number; why: Map<string, number> } {
  const why = new Map<string, number>();
  let ready = 0;
  for (const cbd of items) {
    if (isReady(cbd)) {
      ready++;
      continue;
    }
    const reason = cbd.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'NoStatus';
    why.set(reason, (why.get(reason) ?? 0) + 1);
  }
  return { ready, why };
}

/** Throws, naming the Ready reasons of the fleets that are not Ready, once progress stops or time runs out. */
export function checkProgress(
  a: BenchArgs,
  s: { ready: number; why: Map<string, number>; elapsed: number; lastProgressAt: number },
): void {
  const stalled = s.elapsed - s.lastProgressAt >= a.stallSeconds;
  const late = s.elapsed >= a.deadlineSeconds;
  if (!stalled && !late) return;
  const reasons = [...s.why.entries()].map(([r, n]) => `${n} ${r}`).join(', ');
  throw new Error(
    `bench failed: ${s.ready}/${a.fleets} fleets Ready after ${s.elapsed.toFixed(0)} s ` +
      `(${late ? `deadline ${a.deadlineSeconds} s` : `no progress for ${a.stallSeconds} s`}); not Ready: ${reasons}`,
  );
}
