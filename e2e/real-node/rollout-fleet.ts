/**
 * One ChatbotDeployment of the rollout suite (rollout.test.ts) as the test sees it: its status.rollout,
 * its routing ConfigMap, its pods by track, its Events, the rollout-action annotation and the
 * kubectl-chatfleet plugin. Every wait is bounded and names what it waited for, with the last state seen.
 */
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { kubectlPath, testenvVar } from '../support/env.js';
import { CBD_API, eventually, httpText, readyPods, type ReadyPod } from './support.js';

const run = promisify(execFile);

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface AnalysisResult {
  metric: string;
  canary?: number;
  stable?: number;
  canaryTurns: number;
  stableTurns: number;
  verdict: string;
  reason: string;
}

/** status.rollout, the fields this suite reads. */
export interface RolloutStatus {
  phase: string;
  reason: string;
  message: string;
  stableVersion: string;
  canaryVersion?: string;
  currentStepIndex: number;
  canaryWeight: number;
  observedCanaryShare?: number;
  failedChecks: number;
  startedAt?: string;
  stepStartedAt?: string;
  lastAnalysisAt?: string;
  lastAnalysis: AnalysisResult[];
  lastHandledAction?: string;
  routingGeneration: number;
}

export interface Cbd {
  metadata: { generation?: number; annotations?: Record<string, string> };
  status?: { observedGeneration?: number; conditions?: Condition[]; rollout?: RolloutStatus };
}

export interface Routing {
  generation: number;
  stableVersion: string;
  canaryVersion: string | null;
  canaryWeight: number;
  aborted: boolean;
}

/** A point of a rollout's history as polled: when it was first seen, and what it was. */
export interface Observed {
  at: number;
  phase: string;
  reason: string;
  step: number;
  weight: number;
  failedChecks: number;
}

const ACTION = 'chatfleet.io/rollout-action';

export class Fleet {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private clusterIP = '';

  constructor(
    kc: k8s.KubeConfig,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
  }

  async cr(): Promise<Cbd> {
    return (await this.custom.getNamespacedCustomObject({
      ...CBD_API,
      namespace: this.namespace,
      name: this.name,
    })) as Cbd;
  }

  async rollout(): Promise<RolloutStatus | undefined> {
    return (await this.cr()).status?.rollout;
  }

  condition(cr: Cbd, type: string): Condition | undefined {
    return cr.status?.conditions?.find((c) => c.type === type);
  }

  /** Polls status.rollout until `ok` holds; the timeout message carries the last status seen. */
  async waitRollout(what: string, ok: (r: RolloutStatus) => boolean, ms = 90_000): Promise<RolloutStatus> {
    let last: RolloutStatus | undefined;
    return eventually(
      async () => {
        last = await this.rollout();
        return last !== undefined && ok(last) ? last : undefined;
      },
      `${this.name}: ${what}`,
      ms,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nlast status.rollout: ${JSON.stringify(last)}`, { cause: err });
    });
  }

  /**
   * Polls status.rollout every `everyMs` until `done` holds, recording each distinct
   * (phase, reason, step, weight, failedChecks) with the time it was first seen.
   */
  async follow(
    what: string,
    done: (r: RolloutStatus) => boolean,
    ms: number,
    everyMs = 200,
  ): Promise<Observed[]> {
    const seen: Observed[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.rollout().catch(() => undefined);
      if (r !== undefined) record(seen, r);
      if (r !== undefined && done(r)) return seen;
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: timed out waiting for ${what}\nseen: ${JSON.stringify(seen)}`);
      }
      await sleep(everyMs);
    }
  }

  async patchSpec(spec: Record<string, unknown>): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      { ...CBD_API, namespace: this.namespace, name: this.name, body: { spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  async annotate(annotations: Record<string, string>): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      { ...CBD_API, namespace: this.namespace, name: this.name, body: { metadata: { annotations } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  /** Sets chatfleet.io/rollout-action=<verb>@<fresh nonce>; returns the value. */
  async action(verb: string): Promise<string> {
    const value = `${verb}@t${randomBytes(4).toString('hex')}`;
    await this.annotate({ [ACTION]: value });
    return value;
  }

  /** `kubectl chatfleet <args> -n <ns>`: kubectl finds the plugin operator/cli/kubectl-chatfleet on PATH. */
  async plugin(...args: string[]): Promise<string> {
    const env = {
      ...process.env,
      KUBECONFIG: testenvVar('KUBECONFIG'),
      PATH: `${resolve('operator/cli')}:${process.env.PATH ?? ''}`,
    };
    const { stdout } = await run(kubectlPath(), ['chatfleet', ...args, '-n', this.namespace], {
      env,
      timeout: 60_000,
    });
    return stdout;
  }

  /** The same through `npm run chatfleet -- ...` (the package script). */
  async npmPlugin(...args: string[]): Promise<string> {
    const env = { ...process.env, KUBECONFIG: testenvVar('KUBECONFIG') };
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'chatfleet', '--', ...args, '-n', this.namespace],
      {
        env,
        timeout: 60_000,
      },
    );
    return stdout;
  }

  /** The plugin's action: returns the annotation value it set. */
  async pluginAction(...verb: string[]): Promise<string> {
    const out = await this.plugin('rollout', ...verb, this.name);
    const value = /rollout-action=(\S+)/.exec(out)?.[1];
    if (value === undefined)
      throw new Error(`kubectl chatfleet rollout ${verb.join(' ')}: no action in ${out}`);
    return value;
  }

  async url(): Promise<string> {
    if (this.clusterIP === '') {
      const svc = await this.core.readNamespacedService({ name: this.name, namespace: this.namespace });
      this.clusterIP = svc.spec?.clusterIP ?? '';
    }
    return `http://${this.clusterIP}`;
  }

  async routing(): Promise<Routing> {
    const cm = await this.core.readNamespacedConfigMap({
      name: `${this.name}-routing`,
      namespace: this.namespace,
    });
    return JSON.parse(cm.data?.['routing.json'] ?? '{}') as Routing;
  }

  /** Ready bot pods of the fleet, of one track or both. */
  async pods(track?: 'stable' | 'canary'): Promise<ReadyPod[]> {
    const selector = `app.kubernetes.io/name=chatbot,app.kubernetes.io/instance=${this.name}`;
    return readyPods(this.core, this.namespace, track ? `${selector},chatfleet.io/track=${track}` : selector);
  }

  /** The canary Deployment, or undefined when it does not exist. */
  async canaryDeployment(): Promise<k8s.V1Deployment | undefined> {
    return this.apps
      .readNamespacedDeployment({ name: `${this.name}-canary`, namespace: this.namespace })
      .catch(() => undefined);
  }

  async deploymentUid(name: string): Promise<string> {
    return (
      (await this.apps.readNamespacedDeployment({ name, namespace: this.namespace })).metadata?.uid ?? ''
    );
  }

  /** Events about this fleet with `reason`, oldest first (their message is the events.k8s.io note). */
  async events(reason: string): Promise<{ type: string; message: string }[]> {
    const list = await this.core.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: `involvedObject.name=${this.name},reason=${reason}`,
    });
    return list.items.map((e) => ({ type: e.type ?? '', message: e.message ?? '' }));
  }

  /** GET /v1/sessions/<id> through the fleet's Service. */
  async session(id: string): Promise<SessionView> {
    const r = await httpText(`${await this.url()}/v1/sessions/${id}`);
    if (r.status !== 200) throw new Error(`GET /v1/sessions/${id}: ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body) as SessionView;
  }

  /** Every Ready bot pod reports `version` on /readyz and none of the canary track is left. */
  async allPodsServe(version: string, ms = 120_000): Promise<ReadyPod[]> {
    return eventually(
      async () => {
        const pods = await this.pods();
        if (pods.length === 0 || (await this.canaryDeployment()) !== undefined) return undefined;
        const versions = await Promise.all(pods.map((p) => podVersion(p.ip)));
        return versions.every((v) => v === version) ? pods : undefined;
      },
      `${this.name}: every pod serving ${version} and no canary Deployment`,
      ms,
    );
  }
}

export interface SessionView {
  sessionId: string;
  modelVersions: string[];
  turns: { modelVersion: string }[];
  pin?: { track: string; modelVersion: string };
}

async function podVersion(ip: string): Promise<string | undefined> {
  const r = await httpText(`http://${ip}:8080/readyz`);
  return (JSON.parse(r.body) as { modelVersion?: string }).modelVersion;
}

function record(seen: Observed[], r: RolloutStatus): void {
  const key = (o: Omit<Observed, 'at'>): string =>
    [o.phase, o.reason, o.step, o.weight, o.failedChecks].join('/');
  const point = { phase: r.phase, reason: r.reason, step: r.currentStepIndex, weight: r.canaryWeight };
  const next: Observed = { at: Date.now(), ...point, failedChecks: r.failedChecks };
  const last = seen.at(-1);
  if (last === undefined || key(last) !== key(next)) seen.push(next);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
