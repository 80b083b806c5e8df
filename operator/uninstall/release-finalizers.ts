/**
 * `release-finalizers`: what the chart's pre-delete hook runs before `helm uninstall` removes the
 * operator (charts/chatfleet/templates/uninstall-hook.yaml, docs/install.md "Uninstalling").
 *
 * Uninstalling the operator must not delete anyone's fleets, and must not leave fleets that can never
 * be deleted either: a ChatbotDeployment carrying the operator's finalizer waits for an operator
 * that no longer exists, and so does its namespace. So this command
 *   1. scales the operator Deployment to 0 and waits (bounded) until its pods are gone, so no
 *      reconcile puts a finalizer back;
 *   2. removes the operator's finalizers (only those, by JSON patch tested against the list it saw)
 *      from every ChatbotDeployment it watched (all namespaces, or its --watch-namespace), with a Warning Event OperatorUninstalled on each;
 *   3. checks again until two passes 2 s apart find none left, or the deadline passes (exit 1 then).
 * Fleets, their children and their Kafka topics stay as they are.
 */
import type { Logger } from 'pino';
import { splitNamespaces } from '../config.js';
import { TOPIC_FINALIZER } from '../dataplane/index.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isInvalid, isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { fleetKey } from '../controller/fleet-key.js';
import { Resources, resourcePath } from '../kube/resources.js';
import type { KubeObject } from '../workload/types.js';

export const RELEASE_FINALIZERS = 'release-finalizers';

/** Every finalizer the operator's components put on a ChatbotDeployment (operator/controller/component.ts). */
export const OPERATOR_FINALIZERS: readonly string[] = [TOPIC_FINALIZER];

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const PASS_INTERVAL_MS = 2000;

export type ReleaseKube = Pick<KubeClient, 'list' | 'request'>;

export interface ReleaseOptions {
  /** The operator Deployment to stop first; undefined: it is already gone (or not ours to stop). */
  operator?: { namespace: string; name: string };
  /**
   * Only ChatbotDeployments in this namespace: the operator's --watch-namespace. Another operator
   * installed for another namespace keeps its fleets' finalizers. Undefined or '': every namespace.
   */
  namespace?: string;
  /** The whole command's bound. */
  timeoutMs: number;
  events: EventRecorder;
  log: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ReleaseReport {
  /** `namespace/name` of each ChatbotDeployment whose finalizers were removed. */
  released: string[];
  /** Those still carrying an operator finalizer at the deadline (the command failed). */
  remaining: string[];
  /** The operator's pods were gone before the finalizers were removed. */
  operatorStopped: boolean;
}

/** PURE. The finalizers to keep, or undefined when none of the operator's is there. */
export function withoutOperatorFinalizers(finalizers: readonly string[] | undefined): string[] | undefined {
  const list = finalizers ?? [];
  if (!list.some((f) => OPERATOR_FINALIZERS.includes(f))) return undefined;
  return list.filter((f) => !OPERATOR_FINALIZERS.includes(f));
}

export async function releaseFinalizers(kube: ReleaseKube, o: ReleaseOptions): Promise<ReleaseReport> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + o.timeoutMs;
  const operatorStopped = o.operator
    ? await stopOperator(kube, o.operator, deadline, { ...o, now, sleep })
    : true;
  const released = new Set<string>();
  const report = (remaining: KubeObject[]): ReleaseReport => ({
    released: [...released],
    remaining: remaining.map(fleetKey),
    operatorStopped,
  });
  // Done after two clean lists PASS_INTERVAL_MS apart: one right after a release could miss an
  // operator that is still running and puts the finalizer back on its next reconcile.
  let cleanOnce = false;
  for (;;) {
    const held = await heldFleets(kube, o.namespace);
    if (held.length === 0 && cleanOnce) return report([]);
    cleanOnce = held.length === 0;
    if (held.length > 0 && now() > deadline) return report(held);
    await releaseAll(kube, held, released, o);
    await sleep(PASS_INTERVAL_MS);
  }
}

/** Scales the operator to 0 and waits for its pods to go; false when they outlived the deadline. */
async function stopOperator(
  kube: ReleaseKube,
  operator: { namespace: string; name: string },
  deadline: number,
  o: Pick<ReleaseOptions, 'log'> & { now: () => number; sleep: (ms: number) => Promise<void> },
): Promise<boolean> {
  const path = `${resourcePath(Resources.Deployment, operator.namespace, operator.name)}/scale`;
  let selector: string | undefined;
  try {
    const scale = await kube.request<{ status?: { selector?: string } }>('PATCH', path, {
      body: { spec: { replicas: 0 } },
      contentType: MERGE_PATCH,
    });
    selector = scale.status?.selector;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    o.log.info({ deployment: operator.name }, 'the operator Deployment is already gone');
    return true;
  }
  o.log.info(
    { deployment: operator.name, selector },
    'scaled the operator to 0; waiting for its pods to stop',
  );
  if (!selector) return true;
  for (;;) {
    const pods = await kube.list(Resources.Pod, operator.namespace, { labelSelector: selector });
    if (pods.items.length === 0) return true;
    if (o.now() + PASS_INTERVAL_MS > deadline) {
      o.log.warn(
        { pods: pods.items.map((p) => p.metadata.name) },
        'operator pods still there at the deadline',
      );
      return false;
    }
    await o.sleep(PASS_INTERVAL_MS / 2);
  }
}

async function releaseAll(
  kube: ReleaseKube,
  held: readonly KubeObject[],
  released: Set<string>,
  o: ReleaseOptions,
): Promise<void> {
  if (held.length > 0 && released.size > 0) {
    // Put back by an operator still running, or changed meanwhile (the JSON patch test failed).
    o.log.warn({ held: held.map(fleetKey) }, 'operator finalizers present again; releasing again');
  }
  for (const cbd of held) if (await releaseOne(kube, cbd, o)) released.add(fleetKey(cbd));
}

async function heldFleets(kube: ReleaseKube, namespace: string | undefined): Promise<KubeObject[]> {
  // --watch-namespace=a,b (the chart's watchNamespaces): the fleets of each watched namespace.
  const namespaces = splitNamespaces(namespace ?? '');
  const scopes = namespaces.length > 0 ? namespaces : [undefined];
  const lists = await Promise.all(scopes.map((ns) => kube.list(Resources.ChatbotDeployment, ns)));
  return lists
    .flatMap((l) => l.items)
    .filter((cbd) => withoutOperatorFinalizers(cbd.metadata.finalizers) !== undefined);
}

/**
 * One JSON patch: test that finalizers are still what was listed, then replace them without the
 * operator's. Anyone else's finalizer stays. A changed list (409/422) is retried by the next pass.
 */
async function releaseOne(kube: ReleaseKube, cbd: KubeObject, o: ReleaseOptions): Promise<boolean> {
  const keep = withoutOperatorFinalizers(cbd.metadata.finalizers);
  if (!keep) return false;
  const ns = cbd.metadata.namespace ?? '';
  const name = cbd.metadata.name ?? '';
  const released = (cbd.metadata.finalizers ?? []).filter((f) => !keep.includes(f));
  try {
    await kube.request('PATCH', resourcePath(Resources.ChatbotDeployment, ns, name), {
      body: [
        { op: 'test', path: '/metadata/finalizers', value: cbd.metadata.finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: keep },
      ],
      contentType: JSON_PATCH,
    });
  } catch (err) {
    if (isNotFound(err)) return false;
    if (isConflict(err) || isInvalid(err)) return false;
    throw err;
  }
  o.log.info({ namespace: ns, name, released }, 'released the operator finalizers');
  o.events.record(
    cbd,
    'Warning',
    'OperatorUninstalled',
    'ReleaseFinalizer',
    `operator uninstalled: topics of this fleet will not be deleted (released ${released.join(', ')}); ` +
      'the fleet and its children stay, delete them and their Kafka topics yourself when no longer needed',
  );
  return true;
}
