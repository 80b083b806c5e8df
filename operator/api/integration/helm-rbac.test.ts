// The chart's RBAC on the real kube-apiserver: watchNamespaces turns the ClusterRole into a Role per
// watched namespace; and every verb granted is one the operator's code sends (rbac-evidence.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, HelmChart } from './helm-support.js';
import { EVIDENCE } from './rbac-evidence.js';
import { canI, cli } from './test-env.js';

const chart = new HelmChart('rbac', true);
beforeAll(() => chart.setup());
afterAll(() => chart.teardown());

describe('watchNamespaces: a Role per watched namespace, nothing cluster-wide', () => {
  const both = `watchNamespaces={${chart.watched},${chart.watched2}}`;
  const can = (...args: string[]): Promise<boolean> =>
    canI(chart.env, `system:serviceaccount:${chart.namespace}:${chart.release}-chatfleet`, args);

  beforeAll(async () => {
    const rbac = parse(await chart.template(both, 'crds.install=false')).filter((m) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(m.kind),
    );
    expect(rbac.filter((m) => m.kind.startsWith('Cluster'))).toEqual([]);
    const roles = rbac.filter((m) => m.kind === 'Role' && m.metadata.name === `${chart.release}-chatfleet`);
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([chart.watched, chart.watched2].sort());
    await cli(
      chart.env,
      chart.env.kubectl,
      ['apply', '-f', '-'],
      rbac.map((m) => JSON.stringify(m)).join('\n---\n'),
    );
  });

  it('passes the namespaces comma-separated in WATCH_NAMESPACE, and to the uninstall hook', async () => {
    const all = parse(await chart.render('--set', both));
    const deployment = all.find((m) => m.kind === 'Deployment')!;
    const env0 = (
      deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!.env;
    expect(env0.find((e) => e.name === 'WATCH_NAMESPACE')?.value).toBe(`${chart.watched},${chart.watched2}`);
    const job = all.find((m) => m.kind === 'Job')!;
    const jobArgs = (job.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0]!.args;
    expect(jobArgs).toContain(`--watch-namespace=${chart.watched},${chart.watched2}`);
  });

  it.each<[string, string[], boolean]>([
    [
      'watches fleets in the watched namespace',
      ['watch', 'chatbotdeployments.chatfleet.io', '-n', chart.watched],
      true,
    ],
    ['applies Deployments there', ['create', 'deployments.apps', '-n', chart.watched], true],
    ['creates the Redis password Secret there', ['create', 'secrets', '-n', chart.watched], true],
    ['reads Secrets there', ['get', 'secrets', '-n', chart.watched], true],
    ['writes topic claims in the release namespace', ['create', 'configmaps', '-n', chart.namespace], true],
    [
      'keeps its Lease in the release namespace',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', chart.namespace],
      true,
    ],
    ['cannot watch fleets cluster-wide', ['watch', 'chatbotdeployments.chatfleet.io', '-A'], false],
    ['cannot read Secrets elsewhere', ['get', 'secrets', '-n', 'default'], false],
    ['cannot apply Deployments elsewhere', ['patch', 'deployments.apps', '-n', 'default'], false],
    ['cannot delete Secrets (no code does: removed)', ['delete', 'secrets', '-n', chart.watched], false],
    ['cannot patch Secrets (no code does: removed)', ['patch', 'secrets', '-n', chart.watched], false],
  ])('%s', async (_what, args, expected) => {
    expect(await can(...args)).toBe(expected);
  });
});

describe('every permission the operator holds is one its code uses', () => {
  let granted: string[] = [];

  beforeAll(async () => {
    const role = parse(await chart.template('crds.install=false')).find(
      (m) => m.kind === 'ClusterRole' && m.metadata.name === `${chart.release}-chatfleet`,
    )!;
    granted = (role.rules ?? []).flatMap((r) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    );
  });

  it('has code evidence for each granted verb, and grants nothing without it', () => {
    expect(granted.length).toBeGreaterThan(40);
    expect([...new Set(granted)].filter((g) => !EVIDENCE[g])).toEqual([]);
    expect(Object.keys(EVIDENCE).filter((e) => !granted.includes(e))).toEqual([]);
  });

  it.each(Object.entries(EVIDENCE))('%s: the code that sends it exists', async (_grant, evidence) => {
    for (const [file, pattern] of evidence) {
      const source = await readFile(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), 'utf8');
      expect({ file, found: pattern.test(source) }).toEqual({ file, found: true });
    }
  });
});
