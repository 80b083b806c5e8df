import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { restrictedContainerSecurityContext } from '../../kube/pod-security.js';

/** The official redis image runs as user "redis", uid/gid 999. */
export const REDIS_UID = 999;

/** Pod Security Standards "restricted" profile. */
export function redisPodSecurityContext(): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: REDIS_UID,
    runAsGroup: REDIS_UID,
    fsGroup: REDIS_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function redisContainerSecurityContext(): ISecurityContext {
  return { ...restrictedContainerSecurityContext(REDIS_UID), privileged: false };
}
