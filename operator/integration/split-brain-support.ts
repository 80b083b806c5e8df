// What the split-brain tests read: the Lease as the API server holds it, and the audit log's Lease writes.
import { auditEvents, microsOf } from './audit.js';
import type { AuditEvent } from './audit.js';
import { leaseHolder as leaseJson, waitFor } from './support.js';
import type { LeaseSpec } from '../kube/lease-record.js';

/** The operator's Lease (the default --lease-name). */
export const LEASE = 'chatfleet-operator';
export const leaseHolder = async (ns: string): Promise<LeaseSpec | undefined> =>
  (await leaseJson(ns)) as LeaseSpec | undefined;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A create or update of the operator's Lease. */
export const isLeaseWrite = (e: AuditEvent): boolean =>
  e.objectRef?.resource === 'leases' && e.objectRef.name === LEASE && ['create', 'update'].includes(e.verb);
/** The API server accepted the request. */
export const ok = (e: AuditEvent): boolean => (e.responseStatus?.code ?? 0) < 300;

/** The namespace's audit events once they include `user`'s acquiring (first accepted) Lease write, and its time (µs). */
export async function acquisitionBy(
  ns: string,
  user: string,
): Promise<{ events: AuditEvent[]; acquiredUs: number }> {
  const acquiring = (e: AuditEvent): boolean => e.user.username === user && isLeaseWrite(e) && ok(e);
  const events = await waitFor(
    `${user}'s acquiring Lease write in the audit log`,
    async () => {
      const all = await auditEvents(ns);
      return all.some(acquiring) ? all : undefined;
    },
    15_000,
  );
  return { events, acquiredUs: microsOf(events.find(acquiring)!.requestReceivedTimestamp) };
}
