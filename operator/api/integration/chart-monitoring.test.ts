// The chart's monitoring objects against the real services of the test environment:
// - the rendered PrometheusRule is created on the real kube-apiserver under the real Prometheus
//   Operator CRD (testenv/prometheus-operator-crds.sh), and a schema-invalid copy is refused;
// - the dashboard ConfigMaps pass a server-side dry run and carry the dashboards unchanged;
// - every dashboard query runs on the test environment's real Prometheus while it scrapes real bot
//   runtimes (file_sd targets on loopback with the labels Kubernetes SD gives bot pods) taking turns.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { testenvVar } from '../../../e2e/support/env.js';
import { sleep, spawnBot, type SpawnedBot } from '../../autoscaler/integration/support.js';
import { startFakeLlm, type FakeLlm } from '../../../bot-runtime/integration/support/llm-server.js';
import { cli, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = join(ROOT, 'charts/chatfleet');
const suffix = uniqueSuffix();
const namespace = `h6alerts-${suffix}`;
const fleet = 'faq';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { groups: { name: string; rules: Record<string, unknown>[] }[] };
  data?: Record<string, string>;
}

let env: TestEnv;
let manifests: Manifest[] = [];
const bots: SpawnedBot[] = [];
let targetFile = '';
let llm: FakeLlm | undefined;
const tag = `${suffix}-${Date.now()}`; // one answer-cache key space per run

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
  if (targetFile) rmSync(targetFile, { force: true });
  await Promise.all(bots.map((b) => b.stop()));
  await llm?.close();
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

// ------------------------------------------------------------------ dashboard queries -----
interface Panel {
  title: string;
  targets: { expr: string }[];
}
function panelQueries(): { dashboard: string; title: string; expr: string }[] {
  return readdirSync(join(CHART, 'dashboards'))
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')) as { panels: Panel[] };
      return d.panels.flatMap((p) =>
        p.targets.map((t) => ({ dashboard: file, title: p.title, expr: t.expr })),
      );
    });
}
/** Grafana's substitution: the template variables and $__range given concrete values. */
const substitute = (expr: string): string =>
  expr.replaceAll('$namespace', namespace).replaceAll('$fleet', fleet).replaceAll('$__range', '10m');

async function query(expr: string): Promise<{ status: string; error?: string; series: number }> {
  const url = `${testenvVar('PROMETHEUS_URL')}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { result?: unknown[] };
  };
  return {
    status: body.status,
    ...(body.error ? { error: body.error } : {}),
    series: body.data?.result?.length ?? 0,
  };
}

async function chat(bot: SpawnedBot, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${bot.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // intents, and LLM questions that repeat: first turns are cached, so repeats are cache hits
      body: JSON.stringify({ message: i % 3 === 0 ? 'hello' : `tell me about topic ${tag} ${i % 4}` }),
    });
    expect(r.status).toBe(200);
  }
}

describe('dashboard queries on the real Prometheus scraping real bot runtimes', () => {
  it('parse, and every query on runtime metrics returns at least one series', async () => {
    llm = await startFakeLlm(0);
    const common = { LOG_LEVEL: 'warn', LLM_ENDPOINT: llm.url, REDIS_URL: testenvVar('REDIS_URL') };
    bots.push(await spawnBot({ ...common, MODEL_VERSION: 'h6-1' }));
    bots.push(await spawnBot({ ...common, MODEL_VERSION: 'h6-2', CHATFLEET_TRACK: 'canary' }));
    targetFile = join(testenvVar('PROMETHEUS_TARGETS_DIR'), `${namespace}.json`);
    const pods = [`${fleet}-5d8f7c9b4-x2k9q`, `${fleet}-canary-7f6d5c4b3-abcde`];
    writeFileSync(
      targetFile,
      JSON.stringify(
        bots.map((b, i) => ({ targets: [new URL(b.url).host], labels: { namespace, pod: pods[i] } })),
      ),
    );
    for (
      const deadline = Date.now() + 30_000;
      (await query(`sum(up{namespace="${namespace}"})`)).series === 0;
      await sleep(500)
    )
      if (Date.now() > deadline) throw new Error('Prometheus did not scrape the bots within 30 s');
    // load over several scrapes (every 2 s): rate() needs two samples of moving counters
    for (let round = 0; round < 4; round++) {
      await Promise.all(bots.map((b) => chat(b, 30)));
      await sleep(2_500);
    }
    const results = [];
    for (const q of panelQueries()) results.push({ ...q, ...(await query(substitute(q.expr))) });
    const bad = results.filter((r) => r.status !== 'success');
    expect(bad).toEqual([]);
    // series of the runtime (bot pods): the operator's metrics are not scraped here (see the report)
    // Not yet validated for series (listed in the report): the cache panel (this load produced no
    // answer-cache lookups), the operator's and autoscaler's panels (no operator process scraped here).
    const runtime = results.filter((r) => /chatfleet_turn_|\bup\{/.test(r.expr));
    console.log(results.map((r) => `${r.series} series: ${r.dashboard}: ${r.title}`).join('\n'));
    const empty = runtime.filter((r) => r.series === 0).map((r) => `${r.dashboard}: ${r.title}: ${r.expr}`);
    expect(empty).toEqual([]);
    expect(runtime.length).toBe(3);
    console.log(
      `h6alerts: ${results.length} dashboard queries parsed by Prometheus; ${runtime.length} runtime queries ` +
        `returned >= 1 series: ${runtime.map((r) => `${r.title} (${r.series})`).join('; ')}`,
    );
  });
});
