import { createHash } from 'node:crypto';
import type { ChatbotDeploymentSpec } from '../../api/generated/chatbotdeployment.js';
import type { ActionVerb, ManualAction, Revision, Target } from './types.js';

/** Identity of what a rollout delivers: spec.model (name, version, bundleConfigMap) and spec.runtime.image. */
export function targetOf(spec: Pick<ChatbotDeploymentSpec, 'model' | 'runtime'>): Target {
  const model = {
    name: spec.model.name,
    version: spec.model.version,
    ...(spec.model.bundleConfigMap !== undefined ? { bundleConfigMap: spec.model.bundleConfigMap } : {}),
  };
  const key = JSON.stringify([model.name, model.version, model.bundleConfigMap ?? '', spec.runtime.image]);
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { id, model, image: spec.runtime.image };
}

const LABEL_MAX = 63;

/**
 * The revision for `target`, its version distinct from `other`'s: an image- or bundle-only change keeps
 * spec.model.version, so the canary's version becomes `<version>-r<6 hex of id>` (still a label value).
 */
export function revisionFor(target: Target, other: Revision | undefined): Revision {
  let version = target.model.version;
  if (other !== undefined && other.version === version) {
    const suffix = `-r${target.id.slice(0, 6)}`;
    version = `${version.slice(0, LABEL_MAX - suffix.length)}${suffix}`;
  }
  return { id: target.id, version, model: target.model, image: target.image };
}

const VERBS: readonly ActionVerb[] = ['pause', 'resume', 'promote', 'promote-full', 'abort', 'retry'];
const ACTION = /^([a-z-]{4,12})(?:@([A-Za-z0-9][A-Za-z0-9._-]{0,62}))?$/;

/**
 * Parses the `chatfleet.io/rollout-action` annotation, `<verb>[@<nonce>]`. Anything else (too long, unknown
 * verb, odd characters) is undefined: the annotation is tenant input and is ignored rather than guessed at.
 */
export function parseAction(annotation: string | undefined): ManualAction | undefined {
  if (annotation === undefined || annotation.length > 80) return undefined;
  const raw = annotation.trim();
  const match = ACTION.exec(raw);
  const verb = VERBS.find((v) => v === match?.[1]);
  if (match === null || verb === undefined) return undefined;
  return { verb, nonce: match[2] ?? '', raw };
}
