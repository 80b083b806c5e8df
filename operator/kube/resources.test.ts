import { describe, expect, it } from '@jest/globals';
import { Resources, resourceFor, resourcePath } from './resources.js';

describe('resourcePath', () => {
  it.each([
    [resourcePath(Resources.ConfigMap, 'ns', 'a'), '/api/v1/namespaces/ns/configmaps/a'],
    [resourcePath(Resources.Deployment), '/apis/apps/v1/deployments'],
    [resourcePath(Resources.Deployment, 'ns'), '/apis/apps/v1/namespaces/ns/deployments'],
    [
      resourcePath(Resources.ChatbotDeployment, 'ns', 'x', 'status'),
      '/apis/chatfleet.io/v1alpha1/namespaces/ns/chatbotdeployments/x/status',
    ],
    [resourcePath(Resources.Namespace, undefined, 'ns'), '/api/v1/namespaces/ns'],
  ])('%s', (got, want) => {
    expect(got).toBe(want);
  });

  it('finds a resource by apiVersion and kind', () => {
    expect(resourceFor('policy/v1', 'PodDisruptionBudget')).toBe(Resources.PodDisruptionBudget);
    expect(() => resourceFor('v1', 'Nope')).toThrow(/unknown resource v1\/Nope/);
  });
});
