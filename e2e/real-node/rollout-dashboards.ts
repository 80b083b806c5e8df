/**
 * Issue 17's dashboard check on the real node: every panel query of the chart's dashboards, run on
 * the test environment's Prometheus while it scrapes real bot pods (Kubernetes service discovery,
 * job chatfleet-pods) and the local operator (a file_sd target this module registers), must parse
 * and return at least one series for a fleet that has just been through a canary rollout.
 */
import { expect } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { panelQueries, promQuery, runnablePanelQuery } from '../support/dashboard-queries.js';
import { testenvVar } from '../support/env.js';
import type { Fleet } from './rollout-fleet.js';
import { sleep } from './rollout-fleet.js';
import { chat, Traffic } from './rollout-traffic.js';

type Figures = Record<string, unknown>;

/** Registers the local operator's /metrics with the test Prometheus; returns the unregister. */
export function scrapeOperator(namespace: string, healthPort: number): () => void {
  const file = join(testenvVar('PROMETHEUS_TARGETS_DIR'), `${namespace}.json`);
  const target = { targets: [`127.0.0.1:${healthPort}`], labels: { component: 'operator', test: namespace } };
  writeFileSync(file, JSON.stringify([target]));
  return () => rmSync(file, { force: true });
}

/** Questions no intent matches, a few distinct ones repeated: they go through the answer cache. */
async function cacheLookups(url: string, until: number): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    await chat(url, `qzv florp wibble ${i % 5}`);
    await sleep(50);
  }
}

/** Traffic for `seconds`, then two more scrapes (2 s interval), then every panel query. */
export async function dashboardsShowFleet(
  fleet: Fleet,
  namespace: string,
  seconds: number,
  figures: Figures,
): Promise<void> {
  const prometheus = testenvVar('PROMETHEUS_URL');
  const url = await fleet.url();
  const traffic = new Traffic(url, { workers: 3, turnsPerConversation: 3, pauseMs: 100 }).start();
  await cacheLookups(url, Date.now() + seconds * 1000);
  await traffic.stop();
  await sleep(5_000);
  const vars = { namespace, fleet: fleet.name, range: '15m' };
  const results = [];
  for (const q of panelQueries())
    results.push({ ...q, ...(await promQuery(prometheus, runnablePanelQuery(q.expr, vars))) });
  console.log(results.map((r) => `${r.series} series ${r.status}: ${r.dashboard}: ${r.title}`).join('\n'));
  figures.dashboardQueries = {
    validated: results.length,
    empty: results.filter((r) => r.series === 0).length,
  };
  expect(results.length).toBeGreaterThanOrEqual(15);
  expect(results.filter((r) => r.status !== 'success').map((r) => `${r.title}: ${r.error}`)).toEqual([]);
  expect(results.filter((r) => r.series === 0).map((r) => `${r.dashboard}: ${r.title}: ${r.expr}`)).toEqual(
    [],
  );
}
