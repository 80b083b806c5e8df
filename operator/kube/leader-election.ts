import type { Logger } from 'pino';
import type { KubeClient } from './client.js';
import { Resources, apiVersionOf } from './resources.js';
import { errorMessage, isConflict, isNotFound } from './errors.js';
import type { KubeObject } from '../workload/types.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
 * - a candidate takes the lease when it is free, or when the holder's record has not changed for
 *   a whole lease duration *as observed locally* (so clocks of different hosts never compare);
 * - the leader renews every retry period and gives up leadership if it could not renew for the
 *   renew deadline (it must stop writing before anyone else may take over);
 * - on graceful shutdown the leader releases the lease (empty holder) so a standby takes over at
 *   its next retry instead of waiting the lease out.
 * Writes are PUTs with resourceVersion (compare-and-swap), not server-side apply: two candidates
 * racing must conflict, which apply with force would hide.
 */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface Observation {
  /** Identity + renewTime of the record last seen, and the local time it was first seen. */
  key: string;
  at: number;
}

export type LeaseDecision = { action: 'wait'; holder: string } | { action: 'take'; spec: LeaseSpec };

/** Pure: whether `me` may take or renew the lease given the record and when we saw it change. */
export function decideLease(
  spec: LeaseSpec | undefined,
  observed: Observation | undefined,
  me: string,
  now: number,
  timings: LeaseTimings,
): LeaseDecision {
  const holder = spec?.holderIdentity ?? '';
  if (holder && holder !== me && !expired(spec, observed, now, timings)) return { action: 'wait', holder };
  return { action: 'take', spec: nextSpec(spec, holder, me, now, timings) };
}

function nextSpec(
  spec: LeaseSpec | undefined,
  holder: string,
  me: string,
  now: number,
  t: LeaseTimings,
): LeaseSpec {
  const renewing = holder === me;
  const transitions = spec?.leaseTransitions ?? 0;
  return {
    holderIdentity: me,
    leaseDurationSeconds: Math.round(t.leaseDurationMs / 1000),
    acquireTime: renewing && spec?.acquireTime ? spec.acquireTime : microTime(now),
    renewTime: microTime(now),
    // Taking over from another holder is a transition; renewing or taking a free lease is not.
    leaseTransitions: renewing || !holder ? transitions : transitions + 1,
  };
}

/** The holder's own lease duration counts, measured from when we saw its record last change. */
function expired(
  spec: LeaseSpec | undefined,
  observed: Observation | undefined,
  now: number,
  t: LeaseTimings,
): boolean {
  if (observed === undefined) return true;
  const durationMs = (spec?.leaseDurationSeconds ?? t.leaseDurationMs / 1000) * 1000;
  return now >= observed.at + durationMs;
}

export function observationKey(spec: LeaseSpec | undefined): string {
  return `${spec?.holderIdentity ?? ''}|${spec?.renewTime ?? ''}`;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export interface LeaderElectorOptions extends LeaseTimings {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  now?: () => number;
}

type LeaseObject = KubeObject & { spec?: LeaseSpec };

export class LeaderElector {
  private observed: Observation | undefined;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly o: LeaderElectorOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.logger.child({ lease: `${o.namespace}/${o.name}`, identity: o.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this instance holds the lease; false if stopped before that. */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info('acquired leadership');
        return true;
      }
      await this.sleep(this.o.retryPeriodMs);
    }
    return false;
  }

  /** Renews until stopped (resolves 'stopped') or until renewing failed for the renew deadline ('lost'). */
  async holdLeadership(): Promise<'lost' | 'stopped'> {
    let lastRenew = this.now();
    while (!this.stopped) {
      await this.sleep(this.o.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.now();
      } else if (this.now() - lastRenew >= this.o.renewDeadlineMs) {
        this.leading = false;
        this.log.error('failed to renew the lease before the renew deadline; leadership lost');
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** Stops acquiring/renewing; a leader hands the lease back so a standby need not wait it out. */
  async stopAndRelease(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.o.client.get<LeaseObject>(Resources.Lease, this.o.namespace, this.o.name);
      if (lease?.spec?.holderIdentity !== this.o.identity) return;
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: null,
        leaseDurationSeconds: 1,
        renewTime: microTime(this.now()),
      };
      await this.o.client.update(Resources.Lease, { ...lease, spec });
      this.log.info('released leadership');
    } catch (err) {
      this.log.warn(
        { err: errorMessage(err) },
        'could not release the lease; a standby takes over when it expires',
      );
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const lease = await this.o.client.get<LeaseObject>(Resources.Lease, this.o.namespace, this.o.name);
      const key = observationKey(lease?.spec);
      if (lease && this.observed?.key !== key) this.observed = { key, at: this.now() };
      const decision = decideLease(
        lease?.spec,
        lease ? this.observed : undefined,
        this.o.identity,
        this.now(),
        this.o,
      );
      if (decision.action === 'wait') return false;
      const written = lease
        ? await this.o.client.update<LeaseObject>(Resources.Lease, { ...lease, spec: decision.spec })
        : await this.o.client.create<LeaseObject>(
            Resources.Lease,
            this.o.namespace,
            this.newLease(decision.spec),
          );
      this.observed = { key: observationKey(written.spec), at: this.now() };
      return true;
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.log.warn({ err: errorMessage(err) }, 'lease request failed');
      return false;
    }
  }

  private newLease(spec: LeaseSpec): KubeObject {
    return {
      apiVersion: apiVersionOf(Resources.Lease),
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace },
      spec,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
