import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parsePromText } from '../autoscaler/sources/prom-text.js';

/**
 * The API server's own count of requests (apiserver_request_total) by `VERB resource[/subresource]`.
 * It counts every client of the shared test environment, so a window's delta is an upper bound of
 * what the bench caused; the operator's own counters (chatfleet_operator_kube_*_total) are exact.
 */
export async function apiserverRequests(): Promise<Map<string, number>> {
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const { stdout } = await promisify(execFile)(kubectl, ['get', '--raw', '/metrics'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return requestsByVerb(stdout);
}

const REQUESTS = new Set(['apiserver_request_total']);

/** Pure: sums apiserver_request_total over codes and scopes, WATCH and health/discovery paths left out. */
export function requestsByVerb(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const { labels, value } of parsePromText(text, REQUESTS).series) {
    const { resource = '', verb = '', subresource = '' } = labels;
    if (!resource || verb === 'WATCH' || resource === 'leases') continue;
    const key = `${verb} ${resource}${subresource ? `/${subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

/** What grew between two snapshots, largest first, as `VERB resource: n`. */
export function requestDelta(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number])
    .filter(([, d]) => d > 0)
    .sort((x, y) => y[1] - x[1]);
}
