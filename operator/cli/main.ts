import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../kube/client.js';
import { errorMessage } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { ROLLOUT_ACTION_ANNOTATION } from '../rollout/annotation.js';
import { APP_NAME, LABEL_INSTANCE, LABEL_NAME } from '../workload/labels.js';
import { trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment } from '../workload/types.js';
import { runDashboard } from '../../console/server/main.js';
import { getFleet, sendRolloutAction } from './action.js';
import { USAGE, parseArgs } from './args.js';
import type { Invocation } from './args.js';
import { settled, statusText, treeText } from './render.js';

/**
 * `kubectl chatfleet` (kubectl finds the executable kubectl-chatfleet on PATH; `npm run chatfleet -- ...`
 * runs the same). Uses the user's kubeconfig (KUBECONFIG or ~/.kube/config, like kubectl) and their own
 * permissions: reading a ChatbotDeployment, its Deployments and pods, and patching its annotations.
 */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Waits between --watch polls; tests shorten it. */
  sleep: (ms: number) => Promise<void>;
  watchIntervalMs: number;
  /** --watch gives up after this long (a rollout with long pauses keeps going; re-run to follow it). */
  watchTimeoutMs: number;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  watchIntervalMs: 2000,
  watchTimeoutMs: 30 * 60_000,
};

function loadKubeConfig(context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

function defaultNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

async function fleetView(
  client: KubeClient,
  ns: string,
  cbd: ChatbotDeployment,
): Promise<Parameters<typeof treeText>[0]> {
  const name = cbd.metadata.name ?? '';
  const selector = `${LABEL_NAME}=${APP_NAME},${LABEL_INSTANCE}=${name}`;
  const [stable, canary, pods] = await Promise.all([
    client.get(Resources.Deployment, ns, trackNames.deployment(cbd, 'stable')),
    client.get(Resources.Deployment, ns, trackNames.deployment(cbd, 'canary')),
    client.list(Resources.Pod, ns, { labelSelector: selector, limit: 500 }),
  ]);
  return { cbd, stable, canary, pods: pods.items };
}

async function watchStatus(client: KubeClient, ns: string, name: string, io: CliIo): Promise<number> {
  const deadline = Date.now() + io.watchTimeoutMs;
  let last = '';
  for (;;) {
    const cbd = await getFleet(client, ns, name);
    const text = statusText(cbd);
    if (text !== last) io.out(last === '' ? text : `---\n${text}`);
    last = text;
    if (settled(cbd)) return cbd.status?.rollout?.phase === 'Aborted' ? 1 : 0;
    if (Date.now() > deadline) return 2;
    await io.sleep(io.watchIntervalMs);
  }
}

async function execute(inv: Invocation, client: KubeClient, ns: string, io: CliIo): Promise<number> {
  const c = inv.command;
  switch (c.kind) {
    case 'help':
      io.out(USAGE);
      return 0;
    case 'status':
      if (c.watch) return watchStatus(client, ns, c.fleet, io);
      io.out(statusText(await getFleet(client, ns, c.fleet)));
      return 0;
    case 'action': {
      const value = await sendRolloutAction(client, ns, c.fleet, c.verb);
      io.out(`chatbotdeployment ${ns}/${c.fleet}: ${ROLLOUT_ACTION_ANNOTATION}=${value}`);
      return 0;
    }
    case 'get':
      io.out(treeText(await fleetView(client, ns, await getFleet(client, ns, c.fleet))));
      return 0;
  }
}

/** Runs one command; returns the exit code (0 ok, 1 failure or an aborted rollout under --watch, 2 usage). */
export async function runCli(argv: string[], io: CliIo = defaultIo, kc?: KubeConfig): Promise<number> {
  // The web console has its own flags (console/server/args.ts) and runs until Ctrl-C.
  if (argv[0] === 'dashboard') return runDashboard(argv.slice(1), io);
  let inv: Invocation;
  try {
    inv = parseArgs(argv);
  } catch (err) {
    io.err(`kubectl-chatfleet: ${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  if (inv.command.kind === 'help') return execute(inv, undefined as never, '', io);
  const config = kc ?? loadKubeConfig(inv.context);
  const client = await KubeClient.create(config);
  try {
    return await execute(inv, client, inv.namespace ?? defaultNamespace(config), io);
  } catch (err) {
    io.err(`kubectl-chatfleet: ${errorMessage(err)}`);
    return 1;
  } finally {
    client.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  runCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`kubectl-chatfleet: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    },
  );
}
