/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Rollout specs that cannot work are rejected by the real kube-apiserver at admission, with a message
// naming the field (crds/: CEL rules on spec.rollout); the defaults and the -o wide Weight column.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createNamespace,
  crManifest,
  deleteNamespace,
  installCrd,
  kubectl,
  kubectlJson,
  requireKubeconfig,
} from '../../integration/support.js';

let ns: string;

beforeAll(async () => {
  requireKubeconfig();
  await installCrd();
  ns = await createNamespace('ro-admission');
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

/** Server-side dry run; resolves with the API server's rejection (stderr), or '' when accepted. */
async function admit(rollout: unknown, name = 'x'): Promise<string> {
  try {
    await kubectl(['apply', '--dry-run=server', '-f', '-'], crManifest(ns, name, { rollout }));
    return '';
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

describe('spec.rollout admission', () => {
  it.each<[string, unknown, string]>([
    [
      'weights that go down',
      { steps: [{ setWeight: 50 }, { pause: { durationSeconds: 10 } }, { setWeight: 20 }] },
      'spec.rollout.steps: Invalid value: spec.rollout.steps[].setWeight must not go down',
    ],
    [
      'a pause with no later step (until resumed, as the last step)',
      { steps: [{ setWeight: 10 }, { pause: {} }] },
      'spec.rollout.steps: Invalid value: spec.rollout.steps[] must not end with a pause without durationSeconds',
    ],
    [
      'an analysis before any setWeight',
      { steps: [{ analysis: {} }, { setWeight: 10 }] },
      'spec.rollout.steps: Invalid value: spec.rollout.steps[].analysis needs a setWeight step before it',
    ],
    [
      'an unknown strategy',
      { strategy: 'BlueGreen' },
      'spec.rollout.strategy: Unsupported value: "BlueGreen"',
    ],
  ])('rejects %s, naming the field', async (_what, rollout, message) => {
    expect(await admit(rollout)).toContain(message);
  });

  it.each<[string, unknown]>([
    ['the defaults (ending with a timed pause: bake time before promotion)', {}],
    [
      'equal weights, an analysis after a weight, an open pause followed by a step',
      {
        steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 10 }, { pause: {} }, { setWeight: 100 }],
      },
    ],
    ['no steps at all (straight to promotion once the canary is Ready)', { steps: [] }],
    ['Immediate', { strategy: 'Immediate', paused: true }],
  ])('accepts %s', async (_what, rollout) => {
    expect(await admit(rollout)).toBe('');
  });

  it('defaults strategy Canary and paused false, and -o wide shows the Rollout phase and Weight', async () => {
    await kubectl(['apply', '-f', '-'], crManifest(ns, 'wide'));
    const cbd = await kubectlJson(['-n', ns, 'get', 'cbd', 'wide']);
    expect(cbd.spec.rollout).toMatchObject({ strategy: 'Canary', paused: false });
    const out = await kubectl(['-n', ns, 'get', 'cbd', 'wide', '-o', 'wide']);
    expect(out.split('\n')[0]).toMatch(/\bROLLOUT\s+WEIGHT\b/);
    const narrow = await kubectl(['-n', ns, 'get', 'cbd', 'wide']);
    expect(narrow.split('\n')[0]).not.toMatch(/WEIGHT/);
  });
});
