// Who wrote what, from the API server's own record: its audit log (testenv/up.sh turns it on at
// Metadata level for the operator's writes and Leases, KUBE_AUDIT_LOG), and client certificates
// that give each operator process its own user name in that log.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { requireEnv, requireKubeconfig } from './support.js';

const run = promisify(execFile);

export interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

export function requireAuditLog(): string {
  return requireEnv(
    'KUBE_AUDIT_LOG',
    'the test environment must run the API server with its audit log (testenv/up.sh does; restart it if ' +
      'it predates that) and be loaded (set -a; source .testenv/env; set +a)',
  );
}

/** Microseconds since the epoch of an audit timestamp (metav1.MicroTime, RFC 3339 with up to 9 digits). */
export function microsOf(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(ts);
  if (!m) throw new Error(`not an RFC 3339 UTC timestamp: ${ts}`);
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(fraction);
}

/**
 * Every ResponseComplete event (the policy omits RequestReceived) for objects in `namespace`, from
 * the audit log and its rotated backups, in the order the server logged them.
 */
export async function auditEvents(namespace: string): Promise<AuditEvent[]> {
  const path = requireAuditLog();
  const dir = dirname(path);
  const stem = basename(path, '.log');
  const backups = (await readdir(dir)).filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.log')).sort();
  const needle = `"namespace":"${namespace}"`;
  const out: AuditEvent[] = [];
  for (const file of [...backups.map((f) => join(dir, f)), path]) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (!line.includes(needle)) continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.objectRef?.namespace === namespace) out.push(e);
    }
  }
  return out;
}

export function describeEvent(e: AuditEvent): string {
  const o = e.objectRef ?? {};
  const what = `${o.resource ?? '?'}${o.subresource ? `/${o.subresource}` : ''}/${o.name ?? ''}`;
  return `${e.requestReceivedTimestamp} ${e.user.username} ${e.verb} ${what} -> ${e.responseStatus?.code ?? '?'}`;
}

export interface TestUser {
  /** The user's kubeconfig (pointing at the API server). */
  kubeconfig: string;
  server: string;
  ca: string;
  cert: string;
  key: string;
  /** Another kubeconfig for the same user that reaches the cluster through `server` (a proxy). */
  via(server: string): Promise<string>;
  /** Deletes the key, certificate and kubeconfigs. */
  remove(): Promise<void>;
}

/**
 * A new user `cn` (group system:masters, so RBAC is not what this tests) with a client certificate
 * signed by the test environment's CA (its key sits next to the admin kubeconfig's CA file).
 */
export async function createTestUser(cn: string): Promise<TestUser> {
  requireKubeconfig();
  const { kc } = loadKubeConfig(process.env);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.caFile) throw new Error('the test kubeconfig names no certificate-authority file');
  const caKey = join(dirname(cluster.caFile), 'ca.key');
  const dir = await mkdtemp(join(tmpdir(), 'chatfleet-user-'));
  const [key, csr, crt, ext] = ['key', 'csr', 'crt', 'ext'].map((s) => join(dir, `${cn}.${s}`)) as [
    string,
    string,
    string,
    string,
  ];
  await writeFile(ext, 'extendedKeyUsage=clientAuth\n');
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/O=system:masters/CN=${cn}`,
    '-keyout',
    key,
    '-out',
    csr,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    cluster.caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-CAserial',
    join(dir, 'ca.srl'),
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    crt,
  ]);
  const ca = cluster.caFile;
  let n = 0;
  const write = async (server: string): Promise<string> => {
    const file = join(dir, `kubeconfig-${n++}`);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'testenv', cluster: { server, 'certificate-authority': ca } }],
      users: [{ name: cn, user: { 'client-certificate': crt, 'client-key': key } }],
      contexts: [{ name: cn, context: { cluster: 'testenv', user: cn } }],
      'current-context': cn,
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  };
  return {
    kubeconfig: await write(cluster.server),
    server: cluster.server,
    ca,
    cert: crt,
    key,
    via: write,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
