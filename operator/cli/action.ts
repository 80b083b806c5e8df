import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import { ROLLOUT_ACTION_ANNOTATION, actionValue, freshNonce } from '../rollout/annotation.js';
import type { ActionVerb } from '../rollout/core/types.js';
import type { ChatbotDeployment } from '../workload/types.js';
import { UsageError } from './args.js';

/**
 * The plugin's rollout action: a merge patch of chatfleet.io/rollout-action=<verb>@<fresh nonce> with the
 * caller's own credentials. The one copy: `kubectl chatfleet rollout ...` and the console's action
 * buttons (console/server/actions.ts) both send it.
 */
export async function getFleet(client: KubeClient, ns: string, name: string): Promise<ChatbotDeployment> {
  const cbd = await client.get<ChatbotDeployment>(Resources.ChatbotDeployment, ns, name);
  if (!cbd) throw new UsageError(`chatbotdeployment ${ns}/${name} not found`);
  return cbd;
}

/**
 * Sends the action; returns the annotation value written. Not found is a UsageError (the GET first gives
 * that clear message instead of the patch's bare 404); RBAC refusals are ApiError 403.
 */
export async function sendRolloutAction(
  client: KubeClient,
  ns: string,
  name: string,
  verb: ActionVerb,
): Promise<string> {
  await getFleet(client, ns, name);
  return patchRolloutAction(client, ns, name, verb);
}

/**
 * The patch alone, for a caller that has already found the fleet: the console checks it against its own
 * watch (console/server/params.ts fleetOr4xx). A fleet deleted since is the patch's ApiError 404.
 */
export async function patchRolloutAction(
  client: KubeClient,
  ns: string,
  name: string,
  verb: ActionVerb,
): Promise<string> {
  const value = actionValue(verb, freshNonce());
  const path = `/apis/chatfleet.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/chatbotdeployments/${encodeURIComponent(name)}`;
  await client.request('PATCH', path, {
    body: { metadata: { annotations: { [ROLLOUT_ACTION_ANNOTATION]: value } } },
    contentType: 'application/merge-patch+json',
  });
  return value;
}
