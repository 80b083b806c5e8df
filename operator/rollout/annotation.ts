import { randomBytes } from 'node:crypto';
import type { ActionVerb } from './core/types.js';

/**
 * The manual-control annotation (docs/rollouts.md "Operating a rollout"): `<verb>@<nonce>`. The operator
 * records the value it handled in status.rollout.lastHandledAction, so applying the same value again is
 * harmless and a new action needs a new nonce. Parsing is the core's (parseAction).
 */
export const ROLLOUT_ACTION_ANNOTATION = 'chatfleet.io/rollout-action';

export const ACTION_VERBS: readonly ActionVerb[] = [
  'pause',
  'resume',
  'promote',
  'promote-full',
  'abort',
  'retry',
];

/** A fresh nonce: time in base 36 plus 4 random bytes, so two actions in one second still differ. */
export function freshNonce(now: Date = new Date(), random: Buffer = randomBytes(4)): string {
  return `${now.getTime().toString(36)}-${random.toString('hex')}`;
}

export function actionValue(verb: ActionVerb, nonce: string): string {
  return `${verb}@${nonce}`;
}
