// `npm run chat [-- "message"] [--fleet demo] [--namespace chatfleet-dev]`: chat with a fleet
// through its Service. With a message: one turn over HTTP, prints the reply, exits 0. Without:
// an interactive conversation over one WebSocket, one session for its whole life.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { DEFAULT_FLEET, DEFAULT_NAMESPACE, DemoError, Fleet, parseArgs, type FleetTarget } from './fleet.js';

const TURN_TIMEOUT_MS = 10_000;

interface Reply {
  sessionId?: string;
  reply?: string;
  intent?: string;
  source?: string;
  modelVersion?: string;
  error?: { code?: string; message?: string };
}

function describe(r: Reply): string {
  if (r.error) return `error ${r.error.code ?? '?'}: ${r.error.message ?? ''}`;
  return `${r.reply ?? ''}\n  (intent ${r.intent ?? '?'}, source ${r.source ?? '?'}, model ${r.modelVersion ?? '?'})`;
}

async function oneTurn(target: FleetTarget, message: string): Promise<void> {
  const res = await fetch(`${target.baseUrl}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(TURN_TIMEOUT_MS),
  });
  const body = (await res.json()) as Reply;
  console.log(`bot: ${describe(body)}`);
  if (!res.ok) throw new DemoError(`the fleet answered HTTP ${res.status}`);
}

function frameText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

/** Sends one frame and waits for its reply frame (turns on one socket are answered in order). */
function ask(ws: WebSocket, message: string, sessionId: string | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DemoError(`no reply within ${TURN_TIMEOUT_MS} ms`)),
      TURN_TIMEOUT_MS,
    );
    ws.once('message', (data: WebSocket.RawData) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(frameText(data)) as Reply);
      } catch {
        reject(new DemoError('the fleet sent a frame that is not JSON'));
      }
    });
    ws.send(JSON.stringify(sessionId ? { message, sessionId } : { message }));
  });
}

async function interactive(target: FleetTarget): Promise<void> {
  const url = `${target.baseUrl.replace(/^http/, 'ws')}/v1/chat/ws`;
  const ws = new WebSocket(url, { handshakeTimeout: TURN_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (err) => reject(new DemoError(`cannot open ${url}: ${err.message}`)));
  });
  console.log(`connected to ${target.namespace}/${target.name} (${url}); an empty line or Ctrl-D ends`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you: ' });
  let sessionId: string | undefined;
  let inputEnded = false;
  rl.once('close', () => (inputEnded = true));
  try {
    rl.prompt();
    // the line iterator buffers what arrives while a turn is in flight (pasted or piped lines)
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '') break;
      const reply = await ask(ws, line, sessionId);
      sessionId = reply.sessionId ?? sessionId;
      console.log(`bot: ${describe(reply)}`);
      if (!inputEnded) rl.prompt();
    }
  } finally {
    rl.close();
    ws.close();
  }
  if (sessionId) console.log(`session ${sessionId}`);
}

async function main(): Promise<void> {
  const { flags, words } = parseArgs(process.argv.slice(2));
  const fleet = new Fleet(flags.get('namespace') || DEFAULT_NAMESPACE, flags.get('fleet') || DEFAULT_FLEET);
  const target = await fleet.target();
  const message = words.join(' ').trim();
  if (message) await oneTurn(target, message);
  else await interactive(target);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof DemoError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err,
  );
  process.exitCode = 1;
});
