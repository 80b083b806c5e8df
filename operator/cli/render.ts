import type { RolloutStatus } from '../api/index.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import { fleetKey } from '../controller/fleet-key.js';

/** Pure text output of the plugin; every value shown comes from the objects passed in. */

export interface FleetView {
  cbd: ChatbotDeployment;
  stable: KubeObject | undefined;
  canary: KubeObject | undefined;
  pods: KubeObject[];
}

function rollout(cbd: ChatbotDeployment): RolloutStatus {
  return cbd.status?.rollout ?? {};
}

function readyCondition(cbd: ChatbotDeployment): string {
  const ready = cbd.status?.conditions?.find((c) => c.type === 'Ready');
  return ready ? `Ready=${ready.status}` : 'Ready=Unknown';
}

function stepText(cbd: ChatbotDeployment): string {
  const r = rollout(cbd);
  const steps = cbd.spec.rollout.steps.length;
  if (r.currentStepIndex === undefined || steps === 0) return '';
  const step = cbd.spec.rollout.steps[r.currentStepIndex];
  const what =
    step?.setWeight !== undefined ? `setWeight ${step.setWeight}` : step?.pause ? 'pause' : 'analysis';
  return `step ${Math.min(r.currentStepIndex + 1, steps)}/${steps} (${what})`;
}

function num(v: number | undefined): string {
  if (v === undefined) return '-';
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

export function analysisLines(cbd: ChatbotDeployment): string[] {
  return (rollout(cbd).lastAnalysis ?? []).map(
    (a) =>
      `${a.metric ?? '?'}: ${a.verdict ?? '?'}  canary ${num(a.canary)} (${a.canaryTurns ?? 0} turns)  ` +
      `stable ${num(a.stable)} (${a.stableTurns ?? 0} turns)  ${a.reason ?? ''}`.trimEnd(),
  );
}

function versionsLine(cbd: ChatbotDeployment): string {
  const r = rollout(cbd);
  const canary = r.canaryVersion ? `  canary ${r.canaryVersion}  weight ${r.canaryWeight ?? 0}%` : '';
  return `stable ${r.stableVersion ?? cbd.spec.model.version}${canary}`;
}

function progressLine(cbd: ChatbotDeployment): string | undefined {
  const r = rollout(cbd);
  const step = stepText(cbd);
  if (!r.canaryVersion || !step) return undefined;
  const share = r.observedCanaryShare === undefined ? '' : `  observed share ${num(r.observedCanaryShare)}%`;
  const failed = `failed checks ${r.failedChecks ?? 0}/${cbd.spec.rollout.analysis.failureThreshold}`;
  return `${step}  ${failed}${share}`;
}

/** `rollout status`: a few lines a person reads at a glance. */
export function statusText(cbd: ChatbotDeployment): string {
  const r = rollout(cbd);
  const name = fleetKey(cbd);
  const reason = r.reason ? ` (${r.reason})` : '';
  const lines = [`fleet ${name}: ${r.phase ?? 'Idle'}${reason}  ${readyCondition(cbd)}`, versionsLine(cbd)];
  const progress = progressLine(cbd);
  if (progress) lines.push(progress);
  if (r.message) lines.push(r.message);
  const analysis = analysisLines(cbd);
  if (analysis.length > 0) {
    lines.push(`last analysis${r.lastAnalysisAt ? ` at ${r.lastAnalysisAt}` : ''}:`);
    lines.push(...analysis.map((l) => `  ${l}`));
  }
  if (r.lastHandledAction) lines.push(`last action handled: ${r.lastHandledAction}`);
  return lines.join('\n');
}

/** The phases after which `rollout status --watch` stops. */
export function settled(cbd: ChatbotDeployment): boolean {
  const phase = rollout(cbd).phase;
  return phase === undefined || phase === 'Idle' || phase === 'Promoted' || phase === 'Aborted';
}

function podLine(p: KubeObject): string {
  const labels = p.metadata.labels ?? {};
  const status = p.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const state = p.metadata.deletionTimestamp ? 'Terminating' : ready ? 'Ready' : (status?.phase ?? 'Pending');
  return `pod ${p.metadata.name ?? '?'}  ${labels['chatfleet.io/model-version'] ?? '?'}  ${state}`;
}

function deploymentLine(track: string, d: KubeObject): string {
  const spec = d.spec as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  const s = (d.status ?? {}) as { readyReplicas?: number };
  const version = spec.template?.metadata?.labels?.['chatfleet.io/model-version'] ?? '?';
  return `${track}  Deployment ${d.metadata.name ?? '?'}  ${version}  ${s.readyReplicas ?? 0}/${spec.replicas ?? 0} ready`;
}

function branch(lines: string[], last: boolean, children: string[]): string[] {
  const out = [`${last ? '└── ' : '├── '}${lines[0] ?? ''}`];
  const pad = last ? '    ' : '│   ';
  children.forEach((c, i) => out.push(`${pad}${i === children.length - 1 ? '└── ' : '├── '}${c}`));
  return out;
}

/** `get <fleet>`: the fleet, each track with its pods, and the last analysis. */
export function treeText(v: FleetView): string {
  const r = rollout(v.cbd);
  const head =
    `ChatbotDeployment ${fleetKey(v.cbd)}  ${readyCondition(v.cbd)}  ` +
    `rollout ${r.phase ?? 'Idle'}${r.canaryVersion ? `  weight ${r.canaryWeight ?? 0}%  ${stepText(v.cbd)}` : ''}`;
  const sections: { line: string; children: string[] }[] = [];
  const tracks: [string, KubeObject | undefined][] = [
    ['stable', v.stable],
    ['canary', v.canary],
  ];
  for (const [track, d] of tracks) {
    if (!d) continue;
    const pods = v.pods
      .filter((p) => (p.metadata.labels?.['chatfleet.io/track'] ?? 'stable') === track)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    sections.push({ line: deploymentLine(track, d), children: pods.map(podLine) });
  }
  const analysis = analysisLines(v.cbd);
  if (analysis.length > 0) sections.push({ line: 'last analysis', children: analysis });
  const out = [head];
  sections.forEach((s, i) => out.push(...branch([s.line], i === sections.length - 1, s.children)));
  return out.join('\n');
}
