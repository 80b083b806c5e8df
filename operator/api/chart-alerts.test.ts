// The chart's alerting rules (charts/chatfleet/files/alerts.yaml) through the real promtool that
// testenv/build.sh builds (PROMTOOL, or its cache path from testenv/versions.env): `check rules`,
// the `test rules` unit tests (charts/chatfleet/tests/alerts.test.yaml), and a broken copy of the
// rules that promtool must reject, so that a failing expectation really fails this test.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'charts/chatfleet');

/** promtool of the test environment: $PROMTOOL, else the cache path testenv/lib.sh builds it into. */
export function promtoolPath(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  const versions = readFileSync(join(ROOT, 'testenv/versions.env'), 'utf8');
  const version = /^PROMETHEUS_VERSION=(\S+)$/m.exec(versions)?.[1];
  if (version === undefined) throw new Error('PROMETHEUS_VERSION missing from testenv/versions.env');
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'chatfleet/testenv', `prometheus-${version}`, 'bin/promtool');
}

function promtool(args: string[], cwd = CHART): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(promtoolPath(), args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (
  parse(readFileSync(join(CHART, 'files/alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

/** Every metric name registered in the operator's and the runtime's sources (`name: 'chatfleet_...'`). */
function registeredMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (
        entry.name.endsWith('.ts') &&
        !entry.name.endsWith('.test.ts') &&
        !path.includes('/integration/')
      )
        for (const m of readFileSync(path, 'utf8').matchAll(/name: '(chatfleet_[a-z_]+)'/g)) names.add(m[1]!);
    }
  };
  walk(join(ROOT, 'operator'));
  walk(join(ROOT, 'bot-runtime'));
  return names;
}

describe('chart alerts (promtool)', () => {
  it('passes promtool check rules', async () => {
    const { code, output } = await promtool(['check', 'rules', 'files/alerts.yaml']);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code).toBe(0);
  });

  it('passes the promtool unit tests', async () => {
    const { code, output } = await promtool(['test', 'rules', 'tests/alerts.test.yaml']);
    expect(output).toContain('SUCCESS');
    expect(output).not.toContain('FAILED');
    expect(code).toBe(0);
  });

  it('fails the unit tests when a threshold changes (the runner reports failures)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h6alerts-'));
    try {
      cpSync(join(CHART, 'tests'), join(dir, 'tests'), { recursive: true });
      cpSync(join(CHART, 'files'), join(dir, 'files'), { recursive: true });
      const source = readFileSync(join(dir, 'files/alerts.yaml'), 'utf8');
      expect(source).toContain('(14.4 * chatfleet:slo_error_budget:ratio)');
      writeFileSync(
        join(dir, 'files/alerts.yaml'),
        source.replaceAll(
          '(14.4 * chatfleet:slo_error_budget:ratio)',
          '(18 * chatfleet:slo_error_budget:ratio)',
        ),
      );
      const { code, output } = await promtool(['test', 'rules', 'tests/alerts.test.yaml'], dir);
      expect(output).toContain('alertname: ChatfleetSLOBurnRateFast');
      expect(code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every alert a severity, summary, description and a runbook section that exists', () => {
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const anchors = new Set([...operations.matchAll(/^#+ (\S+)/gm)].map((m) => m[1]!.toLowerCase()));
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    for (const a of alerts) {
      expect([a.alert, a.labels?.severity]).toEqual([a.alert, expect.stringMatching(/^(critical|warning)$/)]);
      expect(a.annotations?.summary).toEqual(expect.any(String));
      expect(a.annotations?.description).toEqual(expect.any(String));
      const anchor = /docs\/operations\.md#([a-z0-9-]+)$/.exec(a.annotations?.runbook_url ?? '')?.[1];
      expect([a.alert, anchor]).toEqual([a.alert, a.alert!.toLowerCase()]);
      expect([a.alert, anchors.has(anchor!)]).toEqual([a.alert, true]);
    }
  });

  it('tests every alert both firing and not firing', () => {
    const tests = parse(readFileSync(join(CHART, 'tests/alerts.test.yaml'), 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0).length;
      const quiet = mine.filter((c) => (c.exp_alerts ?? []).length === 0).length;
      expect([a.alert, firing > 0, quiet > 0]).toEqual([a.alert, true, true]);
    }
  });

  it('uses only metric names the operator and the runtime register (contracts)', () => {
    const known = registeredMetricNames();
    expect(known.size).toBeGreaterThan(30);
    const used = new Set(
      rules.flatMap((r) => [...r.expr.matchAll(/\b(chatfleet_[a-z_]+)/g)].map((m) => m[1]!)),
    );
    const unknown = [...used].filter(
      (n) => !known.has(n) && !known.has(n.replace(/_(bucket|count|sum)$/, '')),
    );
    expect(used.size).toBeGreaterThan(8);
    expect(unknown).toEqual([]);
  });
});
