/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These helpers read raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Shared setup of operator-dataplane*.test.ts and topic-*.test.ts: the operator in process with the data plane's
// components against one namespace, a Kafka admin client for checks, and kubectl readers.
import { afterAll, beforeAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import {
  condition,
  createNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  requireKafkaBrokers,
  startInProcess,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import type { ComponentSource } from '../../controller/manager.js';
import type { KafkaTopicsOptions } from '../index.js';
import { dataplaneComponents } from './components.js';
import { deleteTopicsAndDisconnect, releaseAndDeleteNamespace } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;
const execFileAsync = promisify(execFile);

export const brokers = requireKafkaBrokers();

export interface DataplaneOperator {
  ns: string;
  operator: InProcessOperator;
  admin: Admin;
  /** Topics to delete after the suite. */
  leftoverTopics: Set<string>;
}

export interface DataplaneOperatorOptions {
  /** Operator flags (e.g. topic-deletion-timeout-seconds). */
  flags?: Record<string, string>;
  /** The Kafka component's options for the suite's namespace; by default claims live in it. */
  kafka?: (ns: string) => KafkaTopicsOptions;
  /** Components registered after the data plane (the worker pool's tests add the WorkersComponent). */
  extra?: ComponentSource[];
}

/** Registers the suite's beforeAll/afterAll: a namespace, the operator in it, an admin client. */
export function dataplaneOperator(prefix: string, opts: DataplaneOperatorOptions = {}): DataplaneOperator {
  const t = { ns: '', leftoverTopics: new Set<string>() } as DataplaneOperator;
  beforeAll(async () => {
    await installCrd();
    t.ns = await createNamespace(prefix);
    const kafka = opts.kafka?.(t.ns) ?? { topicOwnershipNamespace: t.ns };
    // As in main.ts: the components write through the operator's client, so their writes are counted.
    t.operator = await startInProcess(t.ns, opts.flags ?? {}, [
      ...dataplaneComponents(kafka),
      ...(opts.extra ?? []),
    ]);
    t.admin = new Kafka({ clientId: `${prefix}-test`, brokers, logLevel: logLevel.NOTHING }).admin();
    await t.admin.connect();
  });
  afterAll(async () => {
    await t.operator?.stop();
    if (t.ns) await releaseAndDeleteNamespace(t.ns);
    if (t.admin) await deleteTopicsAndDisconnect(t.admin, t.leftoverTopics);
  });
  return t;
}

export function envOf(dep: any): Record<string, any> {
  const container = dep.spec.template.spec.containers[0];
  const env: any[] = container.env ?? [];
  return Object.fromEntries(env.map((e) => [String(e.name), e]));
}

export async function deployment(ns: string, name: string): Promise<any> {
  return kubectlJson(['-n', ns, 'get', 'deployment', name]);
}

/** The TopicsReady condition when it has the wanted status, else undefined (for waitFor). */
export async function topicsReady(ns: string, name: string, status: 'True' | 'False'): Promise<any> {
  const c = condition(await getCr(ns, name), 'TopicsReady');
  return c?.status === status ? c : undefined;
}

/** Stops or starts the test environment's broker in place (same port and data), from the repo root. */
export async function kafkaBroker(action: 'stop' | 'start'): Promise<void> {
  await execFileAsync('bash', ['testenv/kafka.sh', action], { cwd: process.cwd(), timeout: 150_000 });
}

export async function objectNames(ns: string, kinds: string): Promise<string[]> {
  return (await kubectl(['-n', ns, 'get', kinds, '-o', 'name'])).split('\n').filter(Boolean);
}

export function controllerOwner(obj: any): any {
  return (obj.metadata.ownerReferences ?? []).find((r: any) => r.controller);
}
