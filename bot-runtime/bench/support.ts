import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Admin } from 'kafkajs';

/** What the bot benchmarks share: the environment, child-process servers, Kafka topics, /metrics. */

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface Server {
  proc: ChildProcess;
  url: string;
}

export function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source .testenv/env (npm run testenv:up) first`);
  return v;
}

export function startServer(script: string, args: string[], env: Record<string, string>): Promise<Server> {
  const proc = spawn(`${ROOT}node_modules/.bin/tsx`, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)|"url":"(http[^"]+)"/.exec(out);
      if (m) resolve({ proc, url: (m[1] ?? m[2])! });
    });
    proc.on('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${out}`)));
  });
}

export async function stop(server: Server): Promise<void> {
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGTERM');
  await exited;
}

export async function withAdmin(brokers: string, fn: (admin: Admin) => Promise<unknown>): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export function createTopic(brokers: string, topic: string): Promise<void> {
  return withAdmin(brokers, (a) =>
    a.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }),
  );
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0; // a labelled counter never incremented has no line
}
