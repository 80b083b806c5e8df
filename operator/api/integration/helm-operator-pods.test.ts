// The operator's own pods as the chart renders them: probes, topology spread, the NetworkPolicy and the
// helm test Pod, dry-run on the real kube-apiserver in a restricted namespace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, HelmChart, type Manifest } from './helm-support.js';
import { cli } from './test-env.js';

const chart = new HelmChart('pods');
beforeAll(() => chart.setup());
afterAll(() => chart.teardown());

describe('operator pods: probes, topology spread, NetworkPolicy, helm test Pod', () => {
  interface PodSpec {
    topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector?: unknown }[];
    containers: { livenessProbe: Record<string, unknown>; readinessProbe: Record<string, unknown> }[];
  }
  const podSpec = (ms: Manifest[]): PodSpec =>
    (ms.find((m) => m.kind === 'Deployment')!.spec as { template: { spec: PodSpec } }).template.spec;

  it('spreads over zones and hosts (ScheduleAnyway) with the operator selector; [] turns it off', async () => {
    const spread = podSpec(parse(await chart.template())).topologySpreadConstraints!;
    expect(spread.map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    expect(spread[0]!.labelSelector).toEqual({
      matchLabels: {
        'app.kubernetes.io/name': 'chatfleet',
        'app.kubernetes.io/instance': chart.release,
        'app.kubernetes.io/component': 'operator',
      },
    });
    const off = await chart.render('--set-json', 'topologySpreadConstraints=[]');
    expect(podSpec(parse(off)).topologySpreadConstraints).toBeUndefined();
  });

  it('takes probe overrides from values', async () => {
    const c = podSpec(
      parse(await chart.template('livenessProbe.periodSeconds=30', 'readinessProbe.failureThreshold=7')),
    ).containers[0]!;
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 30 });
    expect(c.readinessProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 'http' },
      failureThreshold: 7,
    });
  });

  it('the NetworkPolicy and the helm test Pod pass a server-side dry run in a restricted namespace', async () => {
    const restricted = [
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
    ];
    await cli(chart.env, chart.env.kubectl, [
      'label',
      'namespace',
      chart.namespace,
      '--overwrite',
      ...restricted,
    ]);
    const all = parse(await chart.render('--set', 'networkPolicy.enabled=true'));
    const picked = all.filter(
      (m) =>
        m.kind === 'NetworkPolicy' ||
        (m.kind === 'Pod' && m.metadata.annotations?.['helm.sh/hook'] === 'test'),
    );
    expect(picked.map((m) => m.kind).sort()).toEqual(['NetworkPolicy', 'Pod']);
    const yaml = picked.map((m) => JSON.stringify(m)).join('\n---\n');
    const { stdout, stderr } = await cli(
      chart.env,
      chart.env.kubectl,
      ['apply', '--dry-run=server', '-f', '-'],
      yaml,
    );
    expect(stdout.match(/\(server dry run\)/g)).toHaveLength(2);
    expect(stderr).not.toContain('PodSecurity');
  });
});
