/** What deleting a CR did to its topics, as Events on the CR. PURE. */
import type { ComponentEvent } from '../../controller/component.js';
import { DEFAULT_TOPIC_DELETION_TIMEOUT_MS } from './deletion.js';
import type { FinalizeResult } from './reconcile.js';

export function topicDeletionEvents(r: FinalizeResult, timeoutMs: number | undefined): ComponentEvent[] {
  const events: ComponentEvent[] = [];
  if (r.deleted.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'TopicsDeleted',
      action: 'Delete',
      note: `deleted Kafka topics ${r.deleted.join(', ')}`,
    });
  }
  if (r.done && r.notOwned.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'TopicsRetained',
      action: 'Delete',
      note:
        `kept Kafka topics ${r.notOwned.join(', ')}: not created or adopted by this ChatbotDeployment, ` +
        'so deletionPolicy Delete does not apply to them',
    });
  }
  if (r.leftBehind.length > 0) {
    const bound = Math.round((timeoutMs ?? DEFAULT_TOPIC_DELETION_TIMEOUT_MS) / 1000);
    events.push({
      type: 'Warning',
      reason: 'TopicsLeftBehind',
      action: 'Delete',
      note:
        `gave up deleting Kafka topics ${r.leftBehind.join(', ')} after ${bound} s and released the ` +
        `finalizer; they stay on the broker, delete them by hand: ${r.condition?.message ?? 'unknown error'}`,
    });
  }
  return events;
}
