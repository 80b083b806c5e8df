/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// The operator restarted mid-rollout resumes from status; the kubectl-chatfleet plugin drives every manual
// control; a settled fleet issues no writes. Real API server, kwok pods (analysis Inconclusive: no data).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../cli/main.js';
import type { CliIo } from '../../cli/main.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  metricValue,
  reconcileWrites,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import { FakePods, startRolloutOperator } from './support.js';
import type { RolloutOperator } from './support.js';

const FAST = {
  scaling: { minReplicas: 2, maxReplicas: 4 },
  rollout: {
    steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }],
    analysis: { intervalSeconds: 5, minTurns: 50 },
    progressDeadlineSeconds: 120,
  },
};
const model = (v: string): Record<string, unknown> => ({ model: { name: 'support-bot', version: v } });

let ns: string;
let operator: RolloutOperator;
const pods = new FakePods();

beforeAll(async () => {
  await installCrd();
  ns = await createNamespace('ro-cli');
  await pods.start();
  operator = await startRolloutOperator(ns, pods);
});

afterAll(async () => {
  await operator?.stop();
  await pods.stop();
  if (ns) await deleteNamespace(ns);
});

const rolloutOf = async (name: string): Promise<any> => (await getCr(ns, name)).status?.rollout;
const uidOf = async (kind: string, name: string): Promise<string> =>
  (await kubectlJson(['-n', ns, 'get', kind, name])).metadata.uid;

async function atWeight10(name: string): Promise<any> {
  await applyCr(ns, name, { ...FAST, ...model('v1') });
  await waitReady(ns, name);
  await waitFor(`${name} Idle`, async () => (await rolloutOf(name))?.phase === 'Idle');
  await applyCr(ns, name, { ...FAST, ...model('v2') });
  return waitFor(`${name} at weight 10`, async () => {
    const r = await rolloutOf(name);
    return r?.phase === 'Progressing' && r.canaryWeight === 10 ? r : undefined;
  });
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    watchIntervalMs: 200,
    watchTimeoutMs: 60_000,
  };
  const code = await runCli([...argv, '-n', ns], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('operator restarted mid-rollout', () => {
  it('resumes from status: same step, same weight, same canary, no restart of the rollout', async () => {
    const name = 'restart';
    const before = await atWeight10(name);
    const canaryUid = await uidOf('deployment', `${name}-canary`);
    await operator.stop();
    operator = await startRolloutOperator(ns, pods);
    // Give the new leader time to reconcile (and to analyse at least once more).
    await new Promise((r) => setTimeout(r, 7000));
    const after = await rolloutOf(name);
    expect(after).toMatchObject({
      phase: 'Progressing',
      startedAt: before.startedAt,
      canaryVersion: 'v2',
      canaryWeight: 10,
      stableVersion: 'v1',
    });
    expect(after.currentStepIndex).toBeGreaterThanOrEqual(before.currentStepIndex);
    expect(after.routingGeneration).toBe(before.routingGeneration);
    expect(await uidOf('deployment', `${name}-canary`)).toBe(canaryUid);
    const routing = JSON.parse(
      (await kubectlJson(['-n', ns, 'get', 'configmap', `${name}-routing`])).data['routing.json'],
    );
    expect(routing.generation).toBe(before.routingGeneration);
  });
});

describe('kubectl chatfleet', () => {
  const name = 'plugin';

  beforeAll(async () => {
    await atWeight10(name);
  }, 120_000);

  it('rollout status and get show phase, weight, step, tracks and pods', async () => {
    const status = await cli('rollout', 'status', name);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`fleet ${ns}/${name}: Progressing`));
    expect(status.out).toMatch(/stable v1 {2}canary v2 {2}weight 10%/);
    const tree = await cli('get', name);
    expect(tree.code).toBe(0);
    expect(tree.out).toMatch(new RegExp(`ChatbotDeployment ${ns}/${name} .*weight 10%`));
    expect(tree.out).toMatch(new RegExp(`stable {2}Deployment ${name} {2}v1 {2}2/2 ready`));
    expect(tree.out).toMatch(new RegExp(`canary {2}Deployment ${name}-canary {2}v2`));
    expect(tree.out).toMatch(/pod .* {2}v2 {2}Ready/);
  });

  it('pause, resume, abort, retry and promote --full, each handled once', async () => {
    const act = async (verb: string[], phase: string): Promise<any> => {
      const r = await cli('rollout', ...verb, name);
      expect(r.code).toBe(0);
      const value = /rollout-action=(\S+)/.exec(r.out)?.[1];
      expect(value).toMatch(new RegExp(`^${verb.includes('--full') ? 'promote-full' : verb[0]}@`));
      return waitFor(
        `${verb.join(' ')} handled`,
        async () => {
          const s = await rolloutOf(name);
          return s?.lastHandledAction === value && s.phase === phase ? s : undefined;
        },
        90_000,
      );
    };
    await act(['pause'], 'Paused');
    await act(['resume'], 'Progressing');
    const aborted = await act(['abort'], 'Aborted');
    expect(aborted.canaryWeight).toBe(0);
    await act(['retry'], 'Progressing');
    await act(['promote', '--full'], 'Promoted');
    expect(
      (await kubectlJson(['-n', ns, 'get', 'deployment', name])).spec.template.metadata.labels[
        'chatfleet.io/model-version'
      ],
    ).toBe('v2');
  });

  it('rollout status --watch ends when the rollout settles', async () => {
    const r = await cli('rollout', 'status', name, '--watch');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Promoted/);
  });

  it('fails clearly on a fleet that does not exist', async () => {
    const r = await cli('rollout', 'abort', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/chatbotdeployment .*\/nope not found/);
  });
});

describe('a settled fleet', () => {
  it('issues zero writes while reconciles keep running', async () => {
    // Only settled fleets in this namespace from here on (an active rollout writes each analysis).
    await kubectl(['-n', ns, 'delete', 'cbd', 'restart', '--wait=true']);
    const name = 'plugin';
    await waitFor('Promoted and canary gone', async () => {
      const r = await rolloutOf(name);
      const canary = await kubectl(['-n', ns, 'get', 'deployment', '-o', 'name']);
      return r?.phase === 'Promoted' && !canary.includes(`${name}-canary`) ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const before = await reconcileWrites(operator.registry);
    const reconciles = await metricValue(operator.registry, 'chatfleet_operator_reconcile_total');
    for (let i = 0; i < 3; i++) {
      await kubectl(['-n', ns, 'annotate', '--overwrite', `cbd/${name}`, `test.chatfleet.io/poke=${i}`]);
    }
    await waitFor(
      'reconciles of the pokes',
      async () =>
        (await metricValue(operator.registry, 'chatfleet_operator_reconcile_total')) >= reconciles + 3,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await reconcileWrites(operator.registry)).toBe(before);
  });
});
