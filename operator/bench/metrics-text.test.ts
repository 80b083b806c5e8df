import { describe, expect, it } from '@jest/globals';
import { grownSeries, histogramQuantile, requestSeries, steadyCounts, sumWrites } from './metrics-text.js';
import { operatorNodeFlags } from './operator-process.js';
import { requestDelta, requestsByVerb } from './apiserver-metrics.js';

const H = 'chatfleet_operator_reconcile_duration_seconds';
const histogram = [
  `${H}_bucket{controller="c",le="0.01"} 50`,
  `${H}_bucket{controller="c",le="0.1"} 90`,
  `${H}_bucket{controller="c",le="1"} 100`,
  `${H}_bucket{controller="c",le="+Inf"} 100`,
].join('\n');

const writes = (series: Record<string, number>): string =>
  Object.entries(series)
    .map(([labels, v]) => `chatfleet_operator_kube_writes_total{${labels}} ${v}`)
    .join('\n');

describe('bench metrics text', () => {
  it.each([
    [0.5, 0.01],
    [0.9, 0.1],
    [0.7, 0.055],
    [0.99, 0.91],
  ])('histogramQuantile q=%f -> %f (linear within the bucket)', (q, want) => {
    expect(histogramQuantile(histogram, H, q)).toBeCloseTo(want, 6);
  });

  it('sums writes by children, status and events, leaving Lease renewals out', () => {
    const text = writes({
      'verb="apply",kind="Deployment"': 3,
      'verb="apply",kind="ConfigMap"': 2,
      'verb="apply",kind="ChatbotDeployment/status"': 4,
      'verb="create",kind="Event"': 5,
      'verb="update",kind="Lease"': 100,
    });
    expect(sumWrites(text)).toEqual({ children: 5, status: 4, events: 5 });
    expect(steadyCounts(text).writes).toBe(14);
  });

  it('names the request series that grew, and only those', () => {
    const before = requestSeries(
      writes({ 'verb="apply",kind="Deployment"': 3, 'verb="update",kind="Lease"': 1 }),
    );
    const after = requestSeries(
      writes({ 'verb="apply",kind="Deployment"': 5, 'verb="update",kind="Lease"': 9 }),
    );
    expect(grownSeries(before, after)).toBe('writes{verb="apply",kind="Deployment"} +2');
    expect(grownSeries(after, after)).toBe('');
  });
});

describe('operatorNodeFlags', () => {
  const dockerfile = 'FROM x\nENTRYPOINT ["node", "--max-old-space-size=256", "dist/operator/main.js"]\n';

  it.each([
    ['the Dockerfile ENTRYPOINT', undefined, ['--max-old-space-size=256']],
    ['BENCH_NODE_FLAGS', ' --a  --b ', ['--a', '--b']],
    ['an empty override (V8 defaults)', '', []],
  ])('%s', (_name, override, want) => {
    expect(operatorNodeFlags(dockerfile, override)).toEqual(want);
  });

  it('refuses a Dockerfile without an exec-form ENTRYPOINT', () => {
    expect(() => operatorNodeFlags('FROM x\n')).toThrow(/ENTRYPOINT/);
  });
});

describe('requestsByVerb', () => {
  it('sums codes per verb and resource, without watches, leases or non-resource paths', () => {
    const text = [
      'apiserver_request_total{code="200",resource="deployments",scope="resource",subresource="",verb="APPLY"} 3',
      'apiserver_request_total{code="409",resource="deployments",scope="resource",subresource="",verb="APPLY"} 1',
      'apiserver_request_total{code="200",resource="chatbotdeployments",scope="resource",subresource="status",verb="APPLY"} 2',
      'apiserver_request_total{code="200",resource="pods",scope="namespace",subresource="",verb="WATCH"} 9',
      'apiserver_request_total{code="200",resource="leases",scope="resource",subresource="",verb="PUT"} 9',
      'apiserver_request_total{code="200",resource="",scope="",subresource="/healthz",verb="GET"} 9',
    ].join('\n');
    expect([...requestsByVerb(text)]).toEqual([
      ['APPLY deployments', 4],
      ['APPLY chatbotdeployments/status', 2],
    ]);
    expect(requestDelta(new Map([['APPLY deployments', 1]]), requestsByVerb(text))).toEqual([
      ['APPLY deployments', 3],
      ['APPLY chatbotdeployments/status', 2],
    ]);
  });
});
