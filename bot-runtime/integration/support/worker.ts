import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../worker/signature.js';
import { freePort, runtimeCommand } from './child.js';
import { REPO_ROOT } from './env.js';
import { kafkaClient } from './kafka.js';

/** Turn i of a stored conversation (`q<i>` answered `a<i>` by the LLM), for tests that seed a session. */
export const llmTurn = (i: number) => ({
  at: 'now',
  message: `q${i}`,
  reply: `a${i}`,
  intent: 'none',
  confidence: 0,
  source: 'llm' as const,
  modelVersion: 'v1',
});

/** One POST a webhook receiver got. */
export interface Delivery {
  key: string;
  body: string;
  signatureValid: boolean;
  status: number;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Deliveries the receiver acted on: the first 2xx per Idempotency-Key (what a receiver that dedupes does). */
  effective: () => Delivery[];
  close: () => Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 that verifies each signature with `secret` and
 * dedupes by Idempotency-Key. `status(n)` says what the n-th request (0-based) gets; `onBody`
 * runs after the body is read and before the reply (a test kills the worker there).
 */
export async function startReceiver(
  secret: string,
  status: (n: number) => number = () => 200,
  onBody?: (d: Delivery) => Promise<void>,
): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const d: Delivery = {
        key: header('idempotency-key') ?? '',
        body,
        signatureValid: verifySignature(
          secret,
          { signature: header('x-chatfleet-signature'), timestamp: header('x-chatfleet-timestamp') },
          body,
          Math.floor(Date.now() / 1000),
        ),
        status: status(deliveries.length),
      };
      deliveries.push(d);
      if (onBody) await onBody(d);
      res.writeHead(d.status, { 'content-type': 'application/json' }).end('{}');
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const effective = (): Delivery[] => {
    const seen = new Set<string>();
    return deliveries.filter((d) => {
      if (d.status < 200 || d.status >= 300 || seen.has(d.key)) return false;
      seen.add(d.key);
      return true;
    });
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    effective,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A dead-lettered record read back from the real DLQ topic. */
export interface DlqRecord {
  value: string;
  headers: Record<string, string>;
}

/** Reads `topic` from the beginning (fresh group) until `count` records or the timeout. */
export async function readDlq(topic: string, count: number, timeoutMs: number): Promise<DlqRecord[]> {
  const consumer = kafkaClient('cf-test-dlq').consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const out: DlqRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ value: message.value?.toString('utf8') ?? '', headers });
      if (out.length >= count) finished();
      await Promise.resolve();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}

export interface WorkerChild {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

/** Runs `npm run bot -- worker` as a real child process and waits for its /readyz (group joined). */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerChild> {
  const port = await freePort();
  // runtimeCommand: a SIGKILL must reach the worker (a killed tsx wrapper left its node child running,
  // and it went on to commit what the test "killed")
  const [command, argv] = runtimeCommand(['worker']);
  const proc = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_CLUSTER_NODES: '', ...env, WORKER_PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`worker exited during start:\n${out}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { proc, url, output: () => out };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`worker did not become ready:\n${out}`);
}

/** chatfleet_worker_tasks_total{type,result} from a worker's /metrics. */
export async function workerTasks(url: string, type: string, result: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const re = new RegExp(
    `chatfleet_worker_tasks_total\\{type="${type.replace('.', '\\.')}",result="${result}"\\} (\\d+)`,
  );
  return Number(re.exec(text)?.[1] ?? 0);
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}
