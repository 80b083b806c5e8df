/**
 * The chart upgrade path on the real node (issue 17 §6): install the chart as it was before the
 * last chart version bump (git history), run a fleet, `helm upgrade` to the working tree's chart
 * with `--reset-then-reuse-values` (the documented command), and require that the fleet stays
 * Ready throughout, its bot pods are the same pods with no restarts (their template did not
 * change), the operator comes back Ready, and `helm test` (the /readyz hook Pod) passes.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testenvVar } from '../support/env.js';
import {
  BOT_IMAGE,
  CBD_API,
  OPERATOR_IMAGE_REPOSITORY,
  OPERATOR_IMAGE_TAG,
  REAL_NODE_LABEL,
  adminConfig,
  createNamespace,
  describeOnRealNode,
  describePods,
  enforceRestricted,
  eventually,
  onRealNode,
  readyPods,
  realNodeChatbot,
  realNodeStatus,
  requireImageOnNode,
} from './support.js';

const run = promisify(execFile);
const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const ROOT = new URL('../../', import.meta.url).pathname;

interface BotPod {
  uid: string;
  restarts: number;
}

const chartVersion = (chartYaml: string): string => /^version:\s*(\S+)/m.exec(chartYaml)?.[1] ?? '';

/**
 * The chart just before the working tree's version was introduced: the parent of the newest commit
 * to Chart.yaml whose parent has another `version:`. (Not simply "the commit before the last change
 * to Chart.yaml": an edit that keeps the version, a formatting fix say, would make that this chart.)
 */
async function previousChartCommit(): Promise<string> {
  const git = (args: string[]): Promise<string> =>
    run('git', ['-C', ROOT, ...args]).then((r) => r.stdout.trim());
  const current = chartVersion(await readFile(join(ROOT, 'charts/chatfleet/Chart.yaml'), 'utf8'));
  const changes = (await git(['log', '--format=%H', '--', 'charts/chatfleet/Chart.yaml'])).split('\n');
  for (const commit of changes) {
    const before = await git(['show', `${commit}^:charts/chatfleet/Chart.yaml`]).catch(() => '');
    if (before && chartVersion(before) !== current) return git(['rev-parse', `${commit}^`]);
  }
  throw new Error(`no commit has a chart version other than ${current}`);
}

async function botPods(core: k8s.CoreV1Api, namespace: string): Promise<Map<string, BotPod>> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=chatbot' });
  return new Map(
    list.items.map((p) => [
      p.metadata?.name ?? '',
      {
        uid: p.metadata?.uid ?? '',
        restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
      },
    ]),
  );
}

describeOnRealNode(
  status,
  'real node: helm upgrade from the previous chart version with a fleet running',
  () => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const namespace = `h7chart-up-${suffix}`;
    const release = `h7up-${suffix}`;
    let workDir = '';
    let previous = '';
    const helm = (args: string[], timeout = 240_000): Promise<{ stdout: string; stderr: string }> =>
      run(testenvVar('HELM'), [...args, '--kubeconfig', testenvVar('KUBECONFIG')], { timeout });
    const placement = [
      '--set',
      `image.repository=${OPERATOR_IMAGE_REPOSITORY}`,
      '--set',
      `image.tag=${OPERATOR_IMAGE_TAG}`,
      '--set',
      'replicaCount=1',
      '--set',
      `watchNamespace=${namespace}`,
      '--set',
      'podDisruptionBudget.enabled=false',
      '--set',
      `leaderElection.leaseName=${release}`,
      '--set-json',
      `nodeSelector=${JSON.stringify({ [REAL_NODE_LABEL]: 'true' })}`,
      '--set-json',
      `tolerations=${JSON.stringify(onRealNode().tolerations)}`,
    ];

    beforeAll(async () => {
      await requireImageOnNode(`${OPERATOR_IMAGE_REPOSITORY}:${OPERATOR_IMAGE_TAG}`);
      await requireImageOnNode(BOT_IMAGE);
      await createNamespace(core, namespace, enforceRestricted);
      workDir = await mkdtemp(join(tmpdir(), 'h7chart-upgrade-'));
      previous = await previousChartCommit();
      // The previous chart, exactly as committed.
      const archive = join(workDir, 'previous.tar');
      await run('git', ['-C', ROOT, 'archive', '--output', archive, previous, 'charts/chatfleet']);
      await run('tar', ['-xf', archive, '-C', workDir]);
    }, 120_000);

    afterAll(async () => {
      await helm(['uninstall', release, '--namespace', namespace, '--wait']).catch(() => undefined);
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('upgrades: the fleet stays Ready, its bot pods are not restarted, helm test passes', async () => {
      const oldChart = join(workDir, 'charts/chatfleet');
      // The previous chart ships the CRD in crds/: Helm skips it, the test env's CRD exists already.
      // crds.install=false for a previous chart that already templates the CRD (0.2.0 on); older ones ignore it.
      await helm([
        'install',
        release,
        oldChart,
        '--namespace',
        namespace,
        ...placement,
        '--set',
        'crds.install=false',
        '--wait',
      ]);
      const before = (await helm(['list', '-n', namespace, '-o', 'json'])).stdout;
      process.stdout.write(`installed the chart of ${previous.slice(0, 12)}: ${before}\n`);

      await custom.createNamespacedCustomObject({
        ...CBD_API,
        namespace,
        body: realNodeChatbot('upgraded', `v-${suffix}`),
      });
      const ready = (): Promise<boolean> =>
        custom
          .getNamespacedCustomObject({ ...CBD_API, namespace, name: 'upgraded' })
          .then((o) =>
            (
              (o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? []
            ).some((c) => c.type === 'Ready' && c.status === 'True'),
          );
      await eventually(
        async () =>
          (await ready()) && (await readyPods(core, namespace, 'app.kubernetes.io/name=chatbot')).length === 1
            ? true
            : undefined,
        'the fleet to be Ready under the previous chart',
        240_000,
      ).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\n${await describePods(core, namespace)}`, { cause: err });
      });
      const podsBefore = await botPods(core, namespace);

      // Watch Ready the whole time the upgrade runs.
      let notReady = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          if (!(await ready().catch(() => false))) notReady += 1;
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
      // crds.install=false: the CRD is shared by every test here (docs/install.md explains adopting
      // it into a release instead).
      const upgrade = [
        'upgrade',
        release,
        join(ROOT, 'charts/chatfleet'),
        '--namespace',
        namespace,
        '--reset-then-reuse-values',
        '--set',
        'crds.install=false',
        '--wait',
      ];
      const started = Date.now();
      await helm(upgrade);
      process.stdout.write(`helm upgrade --wait took ${Date.now() - started} ms\n`);
      // A resync or two of the new operator leader, still watching.
      await new Promise((r) => setTimeout(r, 10_000));
      watching = false;
      await watcher;

      expect(notReady).toBe(0);
      expect(await botPods(core, namespace)).toEqual(podsBefore);
      const history = JSON.parse(
        (await helm(['history', release, '-n', namespace, '-o', 'json'])).stdout,
      ) as {
        chart: string;
        status: string;
      }[];
      expect(history.map((h) => h.status)).toEqual(['superseded', 'deployed']);
      expect(history[1]!.chart).toBe('chatfleet-0.2.0');

      const { stdout } = await helm(['test', release, '-n', namespace, '--logs', '--timeout', '120s']);
      expect(stdout).toMatch(/Phase:\s+Succeeded/);
      expect(stdout).toMatch(/GET http:\/\/\S+\/readyz: 200/);
    }, 600_000);
  },
);
