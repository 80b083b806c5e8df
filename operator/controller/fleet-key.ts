/**
 * `namespace/name` of a ChatbotDeployment: the work-queue key, and the key of every piece of per-fleet
 * state (autoscaler memory, rollout state, Redis passwords, component `forget(key)`). The one place it is
 * built, so every component keys the same fleet the same way. A CR read from the API server always has
 * both parts; a missing one becomes '' (never a guessed 'default', which would merge two fleets' state).
 */
export function fleetKey(cbd: { metadata: { namespace?: string; name?: string } }): string {
  return `${cbd.metadata.namespace ?? ''}/${cbd.metadata.name ?? ''}`;
}
