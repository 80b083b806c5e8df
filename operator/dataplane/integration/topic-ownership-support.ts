/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These helpers read raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Shared setup of topic-ownership.test.ts and topic-deletion.test.ts: the operator in process with
// the data plane (deletion bound BOUND_SECONDS, setup from operator-dataplane-support.ts), and readers of conditions,
// claims and Events.
import { expect } from '@jest/globals';
import type { Admin } from 'kafkajs';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  operatorConfig,
  waitFor,
} from '../../integration/support.js';
import { CLAIM_LABEL } from '../kafka/claims.js';
import { dataplaneOperator } from './operator-dataplane-support.js';
import type { DataplaneOperator } from './operator-dataplane-support.js';

export { brokers } from './operator-dataplane-support.js';
export const BOUND_SECONDS = 20;

/** Messages held by the topic: the sum over partitions of high watermark minus low. */
export async function messagesIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** TopicsReady when it has `reason` at the CR's current generation, else undefined (for waitFor). */
export async function topicsCondition(ns: string, name: string, reason: string): Promise<any> {
  const cbd = await getCr(ns, name);
  const c = condition(cbd, 'TopicsReady');
  return c?.reason === reason && c.observedGeneration === cbd.metadata.generation ? c : undefined;
}

/** Applies the CR, then waits (bounded) for TopicsReady with `reason` at its new generation. */
export async function applyUntil(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  reason: string,
): Promise<any> {
  await applyCr(ns, name, spec);
  return waitFor(`${name} TopicsReady ${reason}`, async () => topicsCondition(ns, name, reason), 60_000);
}

export async function crGone(ns: string, name: string): Promise<boolean> {
  const out = await kubectl(['-n', ns, 'get', 'cbd', name, '--ignore-not-found', '-o', 'name']);
  return out.trim() === '';
}

/** A field of the events with this reason about `regarding`, e.g. jsonpath {.items[*].note}. */
export async function eventField(
  ns: string,
  regarding: string,
  reason: string,
  jsonpath = '{.items[*].note}',
): Promise<string> {
  return kubectl([
    '-n',
    ns,
    'get',
    'events.events.k8s.io',
    '--field-selector',
    `regarding.name=${regarding},reason=${reason}`,
    '-o',
    `jsonpath=${jsonpath}`,
  ]);
}

export async function claimedTopics(ns: string): Promise<string[]> {
  const list = await kubectlJson(['-n', ns, 'get', 'configmaps', '-l', `${CLAIM_LABEL}=true`]);
  return list.items.map((cm: any) => String(cm.data.topic)).sort();
}

/** The suite's operator with the deletion bound BOUND_SECONDS, wired from parsed flags as main.ts does. */
export function ownershipOperator(prefix: string): DataplaneOperator {
  const flags = { 'topic-deletion-timeout-seconds': String(BOUND_SECONDS) };
  return dataplaneOperator(prefix, {
    flags,
    kafka: (ns) => {
      // The claims namespace defaults to the Lease's.
      const cfg = operatorConfig(ns, flags);
      expect(cfg.topicOwnershipNamespace).toBe(ns);
      return {
        topicOwnershipNamespace: cfg.topicOwnershipNamespace,
        topicDeletionTimeoutMs: cfg.topicDeletionTimeoutSeconds * 1000,
      };
    },
  });
}
