/**
 * What a CR deletion did to its topics, said where it cannot be refused. The Events on the CR
 * (TopicsDeleted, TopicsRetained, TopicsLeftBehind; ../component.ts) are refused with 403 "being
 * terminated" while the CR's namespace is being deleted, which is exactly when credentials go
 * missing. So the outcome is also counted (chatfleet_operator_topic_deletions_total) and every topic
 * left behind gets a Warning Event on its claim, in the topic-ownership namespace, where the claim
 * stays next to what must be cleaned up by hand.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventRecorder } from '../../kube/events.js';
import { errorMessage } from '../../kube/errors.js';
import { registerDataplaneMetrics } from '../metrics.js';
import type { DataplaneMetrics } from '../metrics.js';
import type { ChatbotDeployment } from '../types.js';
import type { TopicOwnership } from './claims.js';
import { claimName, holderOf } from './ownership.js';
import type { FinalizeResult } from './reconcile.js';

export interface DeletionReporterDeps {
  registry: Registry;
  events: EventRecorder;
  ownership: Pick<TopicOwnership, 'listHeldBy'>;
  /** --topic-ownership-namespace: where the claims (and so these Events) live. */
  ownershipNamespace: string;
}

export class TopicDeletionReporter {
  private readonly metrics: DataplaneMetrics;

  constructor(private readonly d: DeletionReporterDeps) {
    this.metrics = registerDataplaneMetrics(d.registry);
  }

  /** Call once per finished finalize (r.done); a retrying attempt reports nothing. */
  async finished(cbd: ChatbotDeployment, r: FinalizeResult, log: Logger): Promise<void> {
    const { topicDeletions } = this.metrics;
    if (r.deleted.length > 0) topicDeletions.inc({ result: 'deleted' }, r.deleted.length);
    if (r.notOwned.length > 0) topicDeletions.inc({ result: 'retained' }, r.notOwned.length);
    if (r.leftBehind.length === 0) return;
    topicDeletions.inc({ result: 'left_behind' }, r.leftBehind.length);
    await this.warnOnClaims(cbd, r, log);
  }

  private async warnOnClaims(cbd: ChatbotDeployment, r: FinalizeResult, log: Logger): Promise<void> {
    let claims;
    try {
      claims = await this.d.ownership.listHeldBy(holderOf(cbd));
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not list the topic claims left behind');
      return;
    }
    const leftBehind = new Set(r.leftBehind);
    const fleet = `${cbd.metadata.namespace}/${cbd.metadata.name}`;
    for (const claim of claims.filter((c) => leftBehind.has(c.topic))) {
      const regarding = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: claimName(claim.clusterId, claim.topic), namespace: this.d.ownershipNamespace },
      };
      this.d.events.record(
        regarding,
        'Warning',
        'TopicsLeftBehind',
        'Delete',
        `ChatbotDeployment ${fleet} was deleted, but its Kafka topic ${claim.topic} could not be deleted ` +
          'in time: it stays on the broker with this claim; delete both by hand. ' +
          (r.condition?.message ?? 'unknown error'),
      );
    }
  }
}
