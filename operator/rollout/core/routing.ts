import type { RolloutState, Routing } from './types.js';

/** The routing object a state asks for, without its generation. */
export function routingOf(state: RolloutState): Omit<Routing, 'generation'> {
  const rolling = state.phase === 'Progressing' || state.phase === 'Paused' || state.phase === 'Promoting';
  const aborted = state.phase === 'Aborted' && state.canaryVersion !== undefined;
  return {
    stableVersion: state.stableVersion,
    canaryVersion: rolling || aborted ? (state.canaryVersion ?? null) : null,
    canaryWeight: rolling ? state.canaryWeight : 0,
    aborted,
  };
}

function sameRouting(a: Omit<Routing, 'generation'>, b: Omit<Routing, 'generation'>): boolean {
  return (
    a.stableVersion === b.stableVersion &&
    a.canaryVersion === b.canaryVersion &&
    a.canaryWeight === b.canaryWeight &&
    a.aborted === b.aborted
  );
}

/**
 * Applies `patch`; when that changes the routing object, the routing generation goes up by one, so the
 * window of a step opens only once every pod reports the new generation. Optional fields set to undefined
 * in `patch` are removed (status never carries nulls).
 */
export function update(state: RolloutState, patch: Partial<RolloutState>): RolloutState {
  const next = { ...state, ...patch };
  for (const key of Object.keys(patch) as (keyof RolloutState)[])
    if (patch[key] === undefined) delete next[key];
  const changed = !sameRouting(routingOf(state), routingOf(next));
  return changed ? { ...next, routingGeneration: state.routingGeneration + 1 } : next;
}

export function routingFor(state: RolloutState): Routing {
  return { generation: state.routingGeneration, ...routingOf(state) };
}
