// The chart's ServiceMonitor and PodMonitor are valid against the Prometheus Operator's own CRDs
// (testenv/prometheus-operator-crds.sh), on the real kube-apiserver of the test env.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROMETHEUS_CRDS, parse, HelmChart, type Manifest } from './helm-support.js';
import { cli } from './test-env.js';

const chart = new HelmChart('mon');
beforeAll(() => chart.setup());
afterAll(() => chart.teardown());

describe('ServiceMonitor and PodMonitor against the Prometheus Operator CRDs', () => {
  let monitors: Manifest[] = [];

  beforeAll(async () => {
    const dir = (await promisify(execFile)('bash', [PROMETHEUS_CRDS], { maxBuffer: 1 << 20 })).stdout.trim();
    // Idempotent, never deleted: other tests (the PrometheusRule) share these CRDs.
    for (const kind of ['servicemonitors', 'podmonitors']) {
      const file = `${dir}/monitoring.coreos.com_${kind}.yaml`;
      await cli(chart.env, chart.env.kubectl, ['apply', '--server-side', '--force-conflicts', '-f', file]);
      await cli(chart.env, chart.env.kubectl, [
        'wait',
        '--for=condition=Established',
        `crd/${kind}.monitoring.coreos.com`,
        '--timeout=60s',
      ]);
    }
    const on = ['metrics.serviceMonitor.enabled=true', 'metrics.podMonitor.enabled=true'];
    monitors = parse(await chart.template(...on, 'metrics.serviceMonitor.labels.release=prom')).filter((m) =>
      ['ServiceMonitor', 'PodMonitor'].includes(m.kind),
    );
  });

  it('are off by default', async () => {
    const kinds = parse(await chart.template()).map((m) => m.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PodMonitor');
  });

  it('are created by the real API server (validated against the CRD schemas)', async () => {
    expect(monitors.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'ServiceMonitor']);
    const yaml = monitors.map((m) => JSON.stringify(m)).join('\n---\n');
    const { stdout } = await cli(chart.env, chart.env.kubectl, ['apply', '-f', '-'], yaml);
    expect(stdout).toContain(`servicemonitor.monitoring.coreos.com/${chart.release}-chatfleet created`);
    expect(stdout).toContain(`podmonitor.monitoring.coreos.com/${chart.release}-chatfleet-bots created`);
  });

  it('the API server does validate them: a malformed interval is refused', async () => {
    const pm = structuredClone(monitors.find((m) => m.kind === 'PodMonitor')!);
    pm.metadata.name = `${pm.metadata.name}-bad`;
    (pm.spec as { podMetricsEndpoints: { interval: string }[] }).podMetricsEndpoints[0]!.interval = 'soon';
    await expect(
      cli(chart.env, chart.env.kubectl, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(pm)),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('spec.podMetricsEndpoints[0].interval'),
    });
  });

  it('the ServiceMonitor selects the metrics Service; the PodMonitor every bot pod of the contract', async () => {
    const service = parse(await chart.template()).find((m) => m.kind === 'Service')!;
    const sm = monitors.find((m) => m.kind === 'ServiceMonitor')!;
    const smSpec = sm.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
    };
    const svcSpec = service.spec as { selector: Record<string, string>; ports: { name: string }[] };
    expect(smSpec.selector.matchLabels).toEqual(svcSpec.selector);
    expect(svcSpec.ports.map((p) => p.name)).toContain(smSpec.endpoints[0]!.port);
    // Per-fleet series keep their own chart.namespace/name labels (the alerts group by them).
    expect(smSpec.endpoints[0]).toMatchObject({ path: '/metrics', honorLabels: true, interval: '30s' });
    const pm = monitors.find((m) => m.kind === 'PodMonitor')!.spec as Record<string, unknown>;
    // CONTRACT.md: every bot pod carries these labels and serves /metrics on the port named http.
    expect(pm).toMatchObject({
      selector: {
        matchLabels: {
          'app.kubernetes.io/name': 'chatbot',
          'app.kubernetes.io/managed-by': 'chatfleet-operator',
        },
      },
      namespaceSelector: { any: true },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    });
    const scoped = parse(
      await chart.template('metrics.podMonitor.enabled=true', `watchNamespaces={${chart.watched}}`),
    );
    expect(scoped.find((m) => m.kind === 'PodMonitor')!.spec).toMatchObject({
      namespaceSelector: { matchNames: [chart.watched] },
    });
  });

  it('a ServiceMonitor without the metrics Service is refused with a message', async () => {
    const error = await chart.refusal('metrics.serviceMonitor.enabled=true', 'metrics.service.enabled=false');
    expect(error).toContain('metrics.serviceMonitor.enabled needs metrics.service.enabled');
  });
});
