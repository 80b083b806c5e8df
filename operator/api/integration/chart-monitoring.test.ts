// The chart's monitoring objects against the real services of the test environment:
// - the rendered PrometheusRule is created on the real kube-apiserver under the real Prometheus
//   Operator CRD (testenv/prometheus-operator-crds.sh), and a schema-invalid copy is refused;
// - the dashboard ConfigMaps pass a server-side dry run and carry the dashboards unchanged.
// The dashboards' queries are run on the real Prometheus by dashboards-live.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { cli, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = join(ROOT, 'charts/chatfleet');
const suffix = uniqueSuffix();
const namespace = `h6alerts-${suffix}`;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { groups: { name: string; rules: Record<string, unknown>[] }[] };
  data?: Record<string, string>;
}

let env: TestEnv;
let manifests: Manifest[] = [];

beforeAll(async () => {
  env = requireTestEnv();
  if (!env.helm) throw new Error('HELM is not set: `source .testenv/env` first.');
  const crdDir = execFileSync('bash', [join(ROOT, 'testenv/prometheus-operator-crds.sh')], {
    encoding: 'utf8',
  }).trim();
  // Idempotent and never deleted: other tests (the chart's ServiceMonitor/PodMonitor) use these CRDs too.
  const crd = join(crdDir, 'monitoring.coreos.com_prometheusrules.yaml');
  await cli(env, env.kubectl, ['apply', '--server-side', '--force-conflicts', '-f', crd]);
  await cli(env, env.kubectl, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/prometheusrules.monitoring.coreos.com',
  ]);
  await cli(env, env.kubectl, ['create', 'namespace', namespace]);
  const set = [
    'prometheusRule.enabled=true',
    'prometheusRule.labels.release=prom',
    'dashboards.enabled=true',
  ];
  const { stdout } = await cli(env, env.helm, [
    'template',
    `h6-${suffix}`,
    CHART,
    '--namespace',
    namespace,
    '--kube-version',
    '1.36.0',
    '--no-hooks',
    ...set.flatMap((s) => ['--set', s]),
    '-s',
    'templates/prometheusrule.yaml',
    '-s',
    'templates/dashboards.yaml',
  ]);
  manifests = parseAllDocuments(stdout)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
});

afterAll(async () => {
  await cli(env, env.kubectl, ['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

describe('PrometheusRule on the real API server', () => {
  it('is created under the Prometheus Operator CRD with every group of files/alerts.yaml', async () => {
    const rule = manifests.find((m) => m.kind === 'PrometheusRule')!;
    expect(rule.metadata.labels?.release).toBe('prom');
    await cli(env, env.kubectl, ['create', '-f', '-'], JSON.stringify(rule));
    const { stdout } = await cli(env, env.kubectl, [
      'get',
      'prometheusrule',
      '-n',
      namespace,
      rule.metadata.name,
      '-o',
      'json',
    ]);
    const stored = JSON.parse(stdout) as Manifest;
    const source = parseAllDocuments(
      readFileSync(join(CHART, 'files/alerts.yaml'), 'utf8'),
    )[0]!.toJSON() as Manifest['spec'];
    expect(stored.spec?.groups.map((g) => g.name)).toEqual(source!.groups.map((g) => g.name));
    expect(stored.spec?.groups.flatMap((g) => g.rules).length).toBe(
      source!.groups.flatMap((g) => g.rules).length,
    );
  });

  it('is refused by the CRD schema when a rule is invalid (the check is real)', async () => {
    const rule = structuredClone(manifests.find((m) => m.kind === 'PrometheusRule')!);
    rule.metadata.name = 'h6alerts-broken';
    rule.spec!.groups[2]!.rules[0]!.for = 'fifteen minutes';
    await expect(
      cli(env, env.kubectl, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(rule)),
    ).rejects.toThrow(/for/);
  });
});

describe('dashboard ConfigMaps', () => {
  it('carry each dashboard JSON unchanged with the grafana_dashboard label, and pass a server dry run', async () => {
    const files = readdirSync(join(CHART, 'dashboards')).filter((f) => f.endsWith('.json'));
    const maps = manifests.filter((m) => m.kind === 'ConfigMap');
    expect(maps.length).toBe(files.length);
    for (const file of files) {
      const map = maps.find((m) => m.data?.[file] !== undefined)!;
      expect(map.metadata.labels?.grafana_dashboard).toBe('1');
      expect(JSON.parse(map.data![file]!)).toEqual(
        JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')),
      );
      await cli(env, env.kubectl, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(map));
    }
  });
});
