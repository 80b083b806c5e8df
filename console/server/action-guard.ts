import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a POST of a rollout action may go on (pure). The console binds 127.0.0.1, but any web page the
 * user has open can make the browser POST there (a form or a no-cors fetch needs no permission). So:
 * - actions are off unless the console was started with --allow-actions;
 * - the Origin header must be the console's own origin (browsers always send it on a cross-origin POST,
 *   and a page cannot forge it);
 * - the request must carry the per-process token in a custom header: a custom header makes any
 *   cross-origin request preflighted, which the console never allows, and only a same-origin page can
 *   read the token (GET /api/actions answers JSON without CORS headers);
 * - the body must be JSON (415 otherwise) naming one of the plugin's verbs.
 */
export const ACTION_TOKEN_HEADER = 'x-chatfleet-console-token';

export interface ActionRequest {
  enabled: boolean;
  origin: string | undefined;
  allowedOrigins: readonly string[];
  token: string | undefined;
  expectedToken: string;
  contentType: string | undefined;
  action: unknown;
  verbs: readonly string[];
}

export type ActionCheck = { ok: true; verb: string } | { ok: false; status: number; error: string };

function sameToken(got: string, want: string): boolean {
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function checkActionRequest(r: ActionRequest): ActionCheck {
  if (!r.enabled)
    return {
      ok: false,
      status: 403,
      error: 'rollout actions are disabled: this console is read-only (start it with --allow-actions)',
    };
  if (r.origin === undefined || !r.allowedOrigins.includes(r.origin))
    return {
      ok: false,
      status: 403,
      error: 'cross-origin request refused: actions come only from the console page',
    };
  if (r.token === undefined || !sameToken(r.token, r.expectedToken))
    return { ok: false, status: 403, error: `missing or wrong ${ACTION_TOKEN_HEADER} header` };
  if (!(r.contentType ?? '').toLowerCase().startsWith('application/json'))
    return { ok: false, status: 415, error: 'the body must be application/json' };
  if (typeof r.action !== 'string' || !r.verbs.includes(r.action))
    return { ok: false, status: 400, error: `action must be one of ${r.verbs.join(', ')}` };
  return { ok: true, verb: r.action };
}
