// The chart's values contract with the real helm binary and the real kube-apiserver of the test env:
// values.schema.json refuses wrong types and unknown keys naming the value, and the CRD is a template
// (upgraded by `helm upgrade`, kept on uninstall). The optional objects: helm-monitors.test.ts,
// helm-operator-pods.test.ts; RBAC: helm-rbac.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHART, parse, HelmChart } from './helm-support.js';
import { cli } from './test-env.js';

const chart = new HelmChart('values');
beforeAll(() => chart.setup());
afterAll(() => chart.teardown());

describe('values.schema.json', () => {
  it('keeps helm lint --strict clean, also with every optional object on', async () => {
    const on =
      'metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,networkPolicy.enabled=true';
    for (const extra of [[], ['--set', on], ['--set', `watchNamespaces={${chart.watched}}`]]) {
      const args = ['lint', CHART, '--strict', '--kube-version', '1.36.0', ...extra];
      const { stdout } = await cli(chart.env, chart.helm, args);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it.each<[string, string, RegExp]>([
    ['a string for an integer', 'replicaCount=two', /at '\/replicaCount': got string, want integer/],
    ['an unknown key (typo)', 'rbac.creat=true', /at '\/rbac': additional properties 'creat' not allowed/],
    [
      'an unknown top-level key',
      'watchNamespaceList=a',
      /additional properties 'watchNamespaceList' not allowed/,
    ],
    ['a log level pino lacks', 'logLevel=verbose', /at '\/logLevel': value must be one of/],
    ['a port out of range', 'port=70000', /at '\/port': maximum/],
    [
      'a malformed scrape interval',
      'metrics.serviceMonitor.interval=soon',
      /at '\/metrics\/serviceMonitor\/interval'/,
    ],
    [
      'a non-string label (h6alerts block)',
      'prometheusRule.labels.team=1',
      /at '\/prometheusRule\/labels\/team': got number, want string/,
    ],
    [
      'an unknown key in dashboards',
      'dashboards.folder=x',
      /at '\/dashboards': additional properties 'folder' not allowed/,
    ],
    ['a boolean as a string', 'crds.keep=maybe', /at '\/crds\/keep': got string, want boolean/],
    ['an invalid namespace name', 'watchNamespaces={Team_A}', /at '\/watchNamespaces\/0'/],
  ])('refuses %s, naming the value', async (_what, set, message) => {
    const error = await chart.refusal(set);
    expect(error).toContain("values don't meet the specifications of the schema");
    expect(error).toMatch(message);
  });

  it("accepts h6alerts' prometheusRule and dashboards blocks exactly", async () => {
    const args = [
      'prometheusRule.enabled=false',
      'prometheusRule.namespace=monitoring',
      'prometheusRule.labels.release=prom',
      'dashboards.enabled=false',
      'dashboards.namespace=grafana',
      'dashboards.labels.grafana_dashboard=chatfleet',
    ];
    expect(await chart.refusal(...args)).toBe('');
  });

  it('refuses watchNamespaces together with the deprecated watchNamespace', async () => {
    expect(await chart.refusal(`watchNamespaces={${chart.watched}}`, 'watchNamespace=other')).toContain(
      'set watchNamespaces or the deprecated watchNamespace, not both',
    );
  });
});

describe('the CRD as a template (crds.install, crds.keep)', () => {
  it('renders the CRD from files/crds/ with helm.sh/resource-policy: keep, and the API server accepts it', async () => {
    const crds = parse(await chart.template()).filter((m) => m.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name)).toEqual(['chatbotdeployments.chatfleet.io']);
    expect(crds[0]!.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const apply = ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'];
    const { stdout } = await cli(chart.env, chart.env.kubectl, apply, JSON.stringify(crds[0]));
    expect(stdout).toContain('chatbotdeployments.chatfleet.io serverside-applied (server dry run)');
  });

  it('crds.keep=false drops the annotation; crds.install=false renders no CRD', async () => {
    const unkept = parse(await chart.template('crds.keep=false')).find(
      (m) => m.kind === 'CustomResourceDefinition',
    );
    expect(unkept?.metadata.annotations).toBeUndefined();
    const kinds = parse(await chart.template('crds.install=false')).map((m) => m.kind);
    expect(kinds).not.toContain('CustomResourceDefinition');
    expect(kinds).toContain('Deployment');
  });
});
