import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

/** The official redis image runs as user "redis", uid/gid 999. */
export const REDIS_UID = 999;

/** Pod Security Standards "restricted" profile. */
export function redisPodSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: REDIS_UID,
    runAsGroup: REDIS_UID,
    fsGroup: REDIS_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function redisContainerSecurityContext(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: REDIS_UID,
    runAsGroup: REDIS_UID,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
