/** The pure rollout core: see ./types.ts for the API and docs/rollouts.md for the semantics. */
export { decide, initialState, stableRevisionOf } from './decide.js';
export { rolloutCondition } from './condition.js';
export { parseAction, revisionFor, targetOf } from './revision.js';
export { routingFor } from './routing.js';
export { bucket, startsOnCanary } from './bucket.js';
export type * from './types.js';
