import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDnsLabel } from '../shared/model.js';
import type { ConsoleState } from './state.js';

export interface FleetParams {
  namespace: string;
  name: string;
}

/** Validates :namespace/:name (DNS labels, inside --namespace when given) or answers 400/404. */
export function fleetOr4xx(
  req: FastifyRequest<{ Params: FleetParams }>,
  reply: FastifyReply,
  state: ConsoleState,
  namespace?: string,
): unknown {
  const { namespace: ns, name } = req.params;
  if (!isDnsLabel(ns) || !isDnsLabel(name)) {
    void reply.code(400).send({ error: 'namespace and name must be DNS labels (a-z, 0-9, -; at most 63)' });
    return undefined;
  }
  const raw = namespace && ns !== namespace ? undefined : state.getFleet(ns, name);
  if (raw === undefined) void reply.code(404).send({ error: `chatbotdeployment ${ns}/${name} not found` });
  return raw;
}
