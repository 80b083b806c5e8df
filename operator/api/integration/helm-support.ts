// Shared setup of the helm-*.test.ts files: the chart rendered with the real helm binary for a release of
// its own, in namespaces of its own on the test environment's kube-apiserver.
import { expect } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { cli, installCrd, kubeConfig, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

export const CHART = fileURLToPath(new URL('../../../charts/chatfleet', import.meta.url));
export const PROMETHEUS_CRDS = fileURLToPath(
  new URL('../../../testenv/prometheus-operator-crds.sh', import.meta.url),
);

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: { resources: string[]; verbs: string[] }[];
}

export const parse = (yaml: string): Manifest[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

/** Call setup() in beforeAll and teardown() in afterAll. */
export class HelmChart {
  env!: TestEnv;
  helm!: string;
  readonly namespace: string;
  /** Two more namespaces, for watchNamespaces (created only when asked). */
  readonly watched: string;
  readonly watched2: string;
  readonly release: string;

  constructor(
    tag: string,
    private readonly withWatched = false,
  ) {
    const suffix = uniqueSuffix();
    this.namespace = `h7${tag}-${suffix}`;
    this.watched = `h7${tag}-w-${suffix}`;
    this.watched2 = `h7${tag}-v-${suffix}`;
    this.release = `h7${tag}-${suffix}`;
  }

  private get namespaces(): string[] {
    return this.withWatched ? [this.namespace, this.watched, this.watched2] : [this.namespace];
  }

  async setup(): Promise<void> {
    this.env = requireTestEnv();
    if (!this.env.helm) throw new Error('HELM is not set: `source .testenv/env` first.');
    this.helm = this.env.helm;
    await installCrd(this.env, kubeConfig(this.env));
    for (const ns of this.namespaces) await cli(this.env, this.env.kubectl, ['create', 'namespace', ns]);
  }

  async teardown(): Promise<void> {
    for (const ns of this.namespaces) {
      await cli(this.env, this.env.kubectl, ['delete', 'namespace', ns, '--wait=false']).catch(
        () => undefined,
      );
    }
  }

  /**
   * `helm template` of this release with hooks, raw helm arguments (`--set-json`, `--set`, ...); the kubeVersion
   * of Chart.yaml needs an explicit --kube-version here.
   */
  async render(...helmArgs: string[]): Promise<string> {
    const args = ['template', this.release, CHART, '-n', this.namespace, '--kube-version', '1.36.0'];
    return (await cli(this.env, this.helm, [...args, ...helmArgs])).stdout;
  }

  /** `helm template` without hooks, with --set values. */
  async template(...set: string[]): Promise<string> {
    return this.render('--no-hooks', ...set.flatMap((s) => ['--set', s]));
  }

  /** The error helm prints for these values ('' when it renders). */
  async refusal(...set: string[]): Promise<string> {
    try {
      await this.template(...set);
      return '';
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err);
    }
  }
}

/** The restricted Pod Security profile the chart's pods (operator, uninstall hook) must meet. */
export function expectRestrictedPod(pod: {
  securityContext: Record<string, unknown>;
  containers: { securityContext: Record<string, unknown> }[];
}): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.containers[0]!.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
}
