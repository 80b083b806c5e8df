import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';

describe('toolchain', () => {
  it('runs on Node 24 in ESM mode with the ESM-only Kubernetes client', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(typeof k8s.KubeConfig).toBe('function');
  });
});
