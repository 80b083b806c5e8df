import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { patchRolloutAction } from '../../operator/cli/action.js';
import { KubeClient } from '../../operator/kube/client.js';
import { errorMessage, isApiError } from '../../operator/kube/errors.js';
import { ACTION_VERBS, ROLLOUT_ACTION_ANNOTATION } from '../../operator/rollout/annotation.js';
import type { ActionVerb } from '../../operator/rollout/core/types.js';
import { ACTION_TOKEN_HEADER, checkActionRequest } from './action-guard.js';
import { fleetOr4xx } from './params.js';
import type { FleetParams } from './params.js';
import type { ConsoleState } from './state.js';

/**
 * Rollout actions from the page (docs/console.md "Rollout actions"): off unless --allow-actions. They
 * send the plugin's own patch (operator/cli/action.ts) with the user's kubeconfig, so the API server's
 * RBAC decides; a refusal is relayed to the page as 403 with the server's message.
 */
export interface ActionOptions {
  enabled: boolean;
  kc: KubeConfig;
  state: ConsoleState;
  namespace?: string;
  /** The console's own origins (http://127.0.0.1:<port>, ...), known once it listens. */
  origins: () => string[];
  log: (line: string) => void;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function relay(reply: FastifyReply, err: unknown): Promise<FastifyReply> {
  if (isApiError(err, 403))
    return reply.code(403).send({ error: `the API server refused your user: ${errorMessage(err)}` });
  if (isApiError(err) && err.statusCode < 500)
    return reply.code(err.statusCode).send({ error: errorMessage(err) });
  return reply.code(502).send({ error: `the API server did not take the action: ${errorMessage(err)}` });
}

/** Registers GET /api/actions and the POST; returns what closes the API client. */
export function registerActions(app: FastifyInstance, o: ActionOptions): () => void {
  const token = randomBytes(32).toString('base64url');
  let client: Promise<KubeClient> | undefined;
  // One client for every action; a failed creation (a certificate file not there yet, an exec plugin
  // that failed) is forgotten, so the next action tries again instead of failing until a restart.
  const connect = (): Promise<KubeClient> =>
    (client ??= KubeClient.create(o.kc).catch((err: unknown) => {
      client = undefined;
      throw err;
    }));
  // Same origin only: there are no CORS headers, so another origin cannot read the token.
  app.get('/api/actions', () =>
    o.enabled ? { enabled: true, verbs: ACTION_VERBS, token } : { enabled: false, verbs: [] },
  );
  app.post<{ Params: FleetParams; Body: unknown }>(
    '/api/fleets/:namespace/:name/actions',
    async (req, reply) => {
      const body = req.body;
      const check = checkActionRequest({
        enabled: o.enabled,
        origin: header(req.headers.origin),
        allowedOrigins: o.origins(),
        token: header(req.headers[ACTION_TOKEN_HEADER]),
        expectedToken: token,
        contentType: header(req.headers['content-type']),
        action: typeof body === 'object' && body !== null ? (body as { action?: unknown }).action : undefined,
        verbs: ACTION_VERBS,
      });
      if (!check.ok) return reply.code(check.status).send({ error: check.error });
      if (fleetOr4xx(req, reply, o.state, o.namespace) === undefined) return reply;
      const { namespace, name } = req.params;
      try {
        // fleetOr4xx found the fleet in the watch: the patch alone (no second GET); gone since is a 404.
        const value = await patchRolloutAction(await connect(), namespace, name, check.verb as ActionVerb);
        o.log(`rollout action ${value} sent to ${namespace}/${name}`);
        return { annotation: ROLLOUT_ACTION_ANNOTATION, value };
      } catch (err) {
        return relay(reply, err);
      }
    },
  );
  return () =>
    void client?.then(
      (c) => c.close(),
      () => undefined,
    );
}
