import type { RolloutStatus } from '../api/index.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';

/** Pure text output of the plugin; every value shown comes from the objects passed in. */

export interface FleetView {
  cr: ChatbotDeployment;
  stable: KubeObject | undefined;
  canary: KubeObject | undefined;
  pods: KubeObject[];
}

function rollout(cr: ChatbotDeployment): RolloutStatus {
  return cr.status?.rollout ?? {};
}

function readyCondition(cr: ChatbotDeployment): string {
  const ready = cr.status?.conditions?.find((c) => c.type === 'Ready');
  return ready ? `Ready=${ready.status}` : 'Ready=Unknown';
}

function stepText(cr: ChatbotDeployment): string {
  const r = rollout(cr);
  const steps = cr.spec.rollout.steps.length;
  if (r.currentStepIndex === undefined || steps === 0) return '';
  const step = cr.spec.rollout.steps[r.currentStepIndex];
  const what =
    step?.setWeight !== undefined ? `setWeight ${step.setWeight}` : step?.pause ? 'pause' : 'analysis';
  return `step ${Math.min(r.currentStepIndex + 1, steps)}/${steps} (${what})`;
}

function num(v: number | undefined): string {
  if (v === undefined) return '-';
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

export function analysisLines(cr: ChatbotDeployment): string[] {
  return (rollout(cr).lastAnalysis ?? []).map(
    (a) =>
      `${a.metric ?? '?'}: ${a.verdict ?? '?'}  canary ${num(a.canary)} (${a.canaryTurns ?? 0} turns)  ` +
      `stable ${num(a.stable)} (${a.stableTurns ?? 0} turns)  ${a.reason ?? ''}`.trimEnd(),
  );
}

function versionsLine(cr: ChatbotDeployment): string {
  const r = rollout(cr);
  const canary = r.canaryVersion ? `  canary ${r.canaryVersion}  weight ${r.canaryWeight ?? 0}%` : '';
  return `stable ${r.stableVersion ?? cr.spec.model.version}${canary}`;
}

function progressLine(cr: ChatbotDeployment): string | undefined {
  const r = rollout(cr);
  const step = stepText(cr);
  if (!r.canaryVersion || !step) return undefined;
  const share = r.observedCanaryShare === undefined ? '' : `  observed share ${num(r.observedCanaryShare)}%`;
  const failed = `failed checks ${r.failedChecks ?? 0}/${cr.spec.rollout.analysis.failureThreshold}`;
  return `${step}  ${failed}${share}`;
}

/** `rollout status`: a few lines a person reads at a glance. */
export function statusText(cr: ChatbotDeployment): string {
  const r = rollout(cr);
  const name = `${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`;
  const reason = r.reason ? ` (${r.reason})` : '';
  const lines = [`fleet ${name}: ${r.phase ?? 'Idle'}${reason}  ${readyCondition(cr)}`, versionsLine(cr)];
  const progress = progressLine(cr);
  if (progress) lines.push(progress);
  if (r.message) lines.push(r.message);
  const analysis = analysisLines(cr);
  if (analysis.length > 0) {
    lines.push(`last analysis${r.lastAnalysisAt ? ` at ${r.lastAnalysisAt}` : ''}:`);
    lines.push(...analysis.map((l) => `  ${l}`));
  }
  if (r.lastHandledAction) lines.push(`last action handled: ${r.lastHandledAction}`);
  return lines.join('\n');
}

/** The phases after which `rollout status --watch` stops. */
export function settled(cr: ChatbotDeployment): boolean {
  const phase = rollout(cr).phase;
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
  const r = rollout(v.cr);
  const head =
    `ChatbotDeployment ${v.cr.metadata.namespace ?? ''}/${v.cr.metadata.name ?? ''}  ${readyCondition(v.cr)}  ` +
    `rollout ${r.phase ?? 'Idle'}${r.canaryVersion ? `  weight ${r.canaryWeight ?? 0}%  ${stepText(v.cr)}` : ''}`;
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
  const analysis = analysisLines(v.cr);
  if (analysis.length > 0) sections.push({ line: 'last analysis', children: analysis });
  const out = [head];
  sections.forEach((s, i) => out.push(...branch([s.line], i === sections.length - 1, s.children)));
  return out.join('\n');
}
