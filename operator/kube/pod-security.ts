import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';

/**
 * The container securityContext of every pod the operator creates (bots and Redis): what the
 * `restricted` Pod Security Standard requires, plus a fixed non-root uid/gid and a read-only root.
 */
export function restrictedContainerSecurityContext(uid: number): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
