/**
 * The generated Redis password Secret. The password is generated ONCE: the reconciler must
 * create this object only when the Secret is missing (POST, treat 409 AlreadyExists as done)
 * and never apply it on every reconcile, or the password would rotate under running clients.
 */
import { randomBytes } from 'node:crypto';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ownerReferenceFor } from '../../controller/ownership.js';
import { nameOf, namespaceOf } from '../identity.js';
import { redisLabels } from '../labels.js';
import type { ChatbotDeployment, OwnerReference } from '../types.js';
import { PASSWORD_KEY, redisNames } from './names.js';

/** 32 random bytes, URL-safe so it fits redis:// URLs and command lines unescaped. */
export function generateRedisPassword(random: (size: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

/** PURE given the password: the Secret object to create once. */
export function redisPasswordSecret(
  cbd: ChatbotDeployment,
  password: string,
  owner?: OwnerReference,
): Secret {
  return new Secret({
    type: 'Opaque',
    metadata: {
      name: redisNames.passwordSecret(nameOf(cbd)),
      namespace: namespaceOf(cbd),
      labels: redisLabels(nameOf(cbd)),
      ownerReferences: [{ ...(owner ?? ownerReferenceFor(cbd)) }],
    },
    stringData: { [PASSWORD_KEY]: password },
  });
}
