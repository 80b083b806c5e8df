import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './client.js';
import { Resources } from './resources.js';
import { microTime } from './lease-record.js';
import { errorMessage } from './errors.js';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (any Kubernetes object). */
export interface Regarding {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

export interface EventRecorder {
  /** Fire-and-forget: an event that cannot be written is logged, never fails a reconcile. */
  record(regarding: Regarding, type: EventType, reason: string, action: string, note: string): void;
}

/**
 * events.k8s.io/v1 Events (what `kubectl events` and `kubectl describe` show). Identical events
 * for the same object within `dedupWindowMs` are dropped here instead of written, so a retrying
 * failure does not flood the API server (client-go's recorder aggregates for the same reason).
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly recent = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly client: Pick<KubeClient, 'create'>,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly dedupWindowMs = 5 * 60_000,
  ) {}

  record(regarding: Regarding, type: EventType, reason: string, action: string, note: string): void {
    const key = `${regarding.metadata.uid ?? ''}|${type}|${reason}|${note}`;
    const now = Date.now();
    if ((this.recent.get(key) ?? 0) > now - this.dedupWindowMs) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) this.prune(now);
    const namespace = regarding.metadata.namespace ?? 'default';
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${regarding.metadata.name ?? 'object'}.${randomBytes(8).toString('hex')}`,
        namespace,
      },
      eventTime: microTime(now),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action,
      reason,
      type,
      note: note.slice(0, 1024),
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace,
        uid: regarding.metadata.uid,
      },
    };
    const sent: Promise<void> = this.client.create(Resources.Event, namespace, event).then(
      () => undefined,
      (err: unknown) => this.log.warn({ err: errorMessage(err), reason }, 'could not record event'),
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /** Waits for every Event recorded so far to be written or refused (a short-lived command exits after). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private prune(now: number): void {
    for (const [k, at] of this.recent) if (at <= now - this.dedupWindowMs) this.recent.delete(k);
  }
}
