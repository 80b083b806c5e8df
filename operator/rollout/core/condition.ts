import type { RolloutCondition, RolloutState } from './types.js';

/**
 * The RolloutHealthy condition of a rollout state: False after a rollback the operator decided (analysis,
 * deadline) or a person asked for; True otherwise, with the state's reason. Returning the spec to the
 * stable version is a deliberate change, not a failure: True, reason SpecReverted.
 */
export function rolloutCondition(state: RolloutState): RolloutCondition {
  const failed = state.phase === 'Aborted' && state.reason !== 'SpecReverted';
  return {
    type: 'RolloutHealthy',
    status: failed ? 'False' : 'True',
    reason: state.reason,
    message: state.message,
  };
}
