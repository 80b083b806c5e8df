import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import { withAppliedHash } from '../controller/drift.js';
import * as desired from '../workload/desired.js';
import { withDefaults } from '../api/index.js';
import type { ChatbotDeployment, ChatbotDeploymentInput } from '../api/index.js';
import type { KubeObject } from '../workload/types.js';
import { plainObject } from '../workload/types.js';
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
      scaling: { minReplicas: 1, maxReplicas: 2 },
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

/** The children the operator would write for N fleets, without owners (no CR exists) and with 0 replicas (no pods). */
export function directChildren(namespace: string, n: number): KubeObject[] {
  const objs: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const input = crInput(namespace, i);
    // A placeholder uid: the desired builders always add an ownerReference, which is dropped below.
    const cbd: ChatbotDeployment = withDefaults({ ...input, metadata: { ...input.metadata, uid: 'none' } });
    const children = [
      desired.desiredServiceAccount(cbd),
      desired.desiredConfigMap(cbd),
      desired.desiredService(cbd),
      desired.desiredPodDisruptionBudget(cbd)!,
      desired.desiredDeployment(cbd, { replicas: 0, env: [] }),
    ].map(plainObject);
    for (const c of children) {
      const { ownerReferences: _owners, ...metadata } = c.metadata;
      objs.push(withAppliedHash({ ...c, metadata }));
    }
  }
  return objs;
}

export async function baseline(
  client: KubeClient,
  ns: string,
  a: BenchArgs,
): Promise<{ objects: number; seconds: number }> {
  await createNamespace(client, ns);
  const objs = directChildren(ns, a.fleets);
  const t0 = performance.now();
  await pool(objs, a.concurrency, (o) => client.apply(o, 'chatfleet-bench'));
  return { objects: objs.length, seconds: (performance.now() - t0) / 1000 };
}

export function isReady(cbd: ChatbotDeployment): boolean {
  const cond = cbd.status?.conditions?.find((c) => c.type === 'Ready');
  return cond?.status === 'True' && cbd.status?.observedGeneration === cbd.metadata.generation;
}

export async function readiness(
  client: KubeClient,
  ns: string,
): Promise<{ ready: number; why: Map<string, number> }> {
  const list = await client.list<ChatbotDeployment>(Resources.ChatbotDeployment, ns);
  const why = new Map<string, number>();
  let ready = 0;
  for (const cbd of list.items) {
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
