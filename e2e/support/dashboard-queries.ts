/**
 * The chart's dashboard panel queries and alert expressions, made runnable on a Prometheus that has
 * not loaded the chart's recording rules (the test environment's): Grafana's template variables get
 * concrete values, and each recording rule's name is replaced by its expression. Used by the
 * integration test on in-process runtimes and by the real-node suite on real bot pods.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const CHART = join(import.meta.dirname, '../../charts/chatfleet');

export interface PanelQuery {
  dashboard: string;
  title: string;
  expr: string;
}

interface Panel {
  title: string;
  targets: { expr: string }[];
}

/** Every query of every panel of charts/chatfleet/dashboards/*.json. */
export function panelQueries(): PanelQuery[] {
  return readdirSync(join(CHART, 'dashboards'))
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')) as { panels: Panel[] };
      return d.panels.flatMap((p) =>
        p.targets.map((t) => ({ dashboard: file, title: p.title, expr: t.expr })),
      );
    });
}

export interface ChartRule {
  record?: string;
  alert?: string;
  expr: string;
}

/** The rules of charts/chatfleet/files/alerts.yaml, the one source of the chart's PrometheusRule. */
export const chartRules: readonly ChartRule[] = (
  parse(readFileSync(join(CHART, 'files/alerts.yaml'), 'utf8')) as { groups: { rules: ChartRule[] }[] }
).groups.flatMap((g) => g.rules);

export function chartAlert(name: string): ChartRule {
  const rule = chartRules.find((r) => r.alert === name);
  if (!rule) throw new Error(`no alert ${name} in charts/chatfleet/files/alerts.yaml`);
  return rule;
}

/** Replaces every recording rule's name by its expression, until none is left. */
export function inlineRecordingRules(text: string): string {
  const records = chartRules.filter((c): c is ChartRule & { record: string } => c.record !== undefined);
  let out = text;
  for (let again = true; again;) {
    again = false;
    for (const r of records) {
      const name = new RegExp(`${r.record.replaceAll(':', '\\:')}(?![a-z0-9_:])`, 'g');
      const next = out.replace(name, `(${r.expr.trim()})`);
      if (next !== out) [out, again] = [next, true];
    }
  }
  return out;
}

/** A panel reading a recording rule gets the rule's expression, filtered on the panel's namespace and fleet. */
function expandRecordingRules(expr: string): string {
  return expr.replace(
    /(chatfleet:[a-z0-9_:]+)\{namespace="([^"]*)",fleet="([^"]*)"\}/g,
    (_, name: string, n: string, f: string) =>
      `(${inlineRecordingRules(name)} and on (namespace, fleet) ` +
      `label_replace(label_replace(vector(1), "namespace", "${n}", "", ""), "fleet", "${f}", "", ""))`,
  );
}

/** Grafana's substitution: the template variables and $__range given concrete values. */
export function runnablePanelQuery(
  expr: string,
  v: { namespace: string; fleet: string; range: string },
): string {
  return expandRecordingRules(
    expr.replaceAll('$namespace', v.namespace).replaceAll('$fleet', v.fleet).replaceAll('$__range', v.range),
  );
}

export interface QueryResult {
  status: string;
  error?: string;
  series: number;
  labels: Record<string, string>[];
}

/** An instant query, bounded to 10 s. */
export async function promQuery(prometheusUrl: string, expr: string): Promise<QueryResult> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result?: { metric: Record<string, string> }[] };
  };
  const result = body.data?.result ?? [];
  return {
    status: body.status,
    ...(body.error ? { error: body.error } : {}),
    series: result.length,
    labels: result.map((r) => r.metric),
  };
}
