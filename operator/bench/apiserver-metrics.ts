import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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

/** Pure: sums apiserver_request_total over codes and scopes, WATCH and health/discovery paths left out. */
export function requestsByVerb(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string): string => new RegExp(`\\b${name}="([^"]*)"`).exec(m[1] ?? '')?.[1] ?? '';
    const resource = label('resource');
    const verb = label('verb');
    if (!resource || verb === 'WATCH' || resource === 'leases') continue;
    const sub = label('subresource');
    const key = `${verb} ${resource}${sub ? `/${sub}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
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
