import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { containerEnv } from './pod-template.js';
import { runtimeConfigData } from './runtime-config.js';
import { minimalCr } from './fixtures.js';
import { workerEnv } from '../workers/env.js';
import { workerCbd } from '../workers/fixtures.js';

// CONTRACT.md against both sides: the env the operator sets on bot pods (parsed from the files that build
// it), what bot-runtime/config.ts (and config/) reads, and the table in CONTRACT.md. Source text, not imports, so a new
// env var anywhere in these files is seen without anyone adding it to a list.
const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const OPERATOR_ENV_FILES = [
  'operator/workload/runtime-config.ts', // runtimeConfigData (the ConfigMap)
  'operator/workload/pod-template.ts', // containerEnv (secrets)
  'operator/workload/tracks.ts', // trackEnv
  'operator/dataplane/redis/env.ts',
  'operator/dataplane/kafka/env.ts',
];
const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*';
const OPERATOR_PATTERNS = [
  new RegExp(`\\bname: '(${NAME})'`, 'g'), // { name: 'X', value } / { name: 'X', valueFrom }
  new RegExp(`\\b(?:secretEnv|fromSecret)\\('(${NAME})'`, 'g'), // secretKeyRef helpers
  new RegExp(`^\\s*\\w+: '(${NAME})',?$`, 'gm'), // KAFKA_SECRET_KEYS: key -> env name
  new RegExp(`^\\s*(${NAME}): `, 'gm'), // runtimeConfigData's keys, one a line
  new RegExp(`\\{ (${NAME}): `, 'g'), // ...(cond && { X: v })
  new RegExp(`\\bdata\\.(${NAME}) =`, 'g'), // data.X = v
];
const RUNTIME_PATTERN = new RegExp(`\\(\\s*env,\\s*'(${NAME})'`, 'g'); // str(env, 'X'), int(env,\n 'X', ...)

/** Set by the operator, not read by bot-runtime/config.ts yet (CONTRACT.md lists them too). */
const NOT_READ_YET = ['MODEL_NAME'];

function matches(text: string, patterns: RegExp[]): Set<string> {
  const found = new Set<string>();
  for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[1]!);
  return found;
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

const operatorSets = matches(OPERATOR_ENV_FILES.map(read).join('\n'), OPERATOR_PATTERNS);
/** bot-runtime/config.ts and the modules of bot-runtime/config/ it is split into. */
const RUNTIME_CONFIG_FILES = [
  'bot-runtime/config.ts',
  ...readdirSync(new URL('bot-runtime/config/', root))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => `bot-runtime/config/${f}`),
];
const runtimeReads = matches(RUNTIME_CONFIG_FILES.map(read).join('\n'), [RUNTIME_PATTERN]);
const contract = read('CONTRACT.md');
const envSection = contract.slice(
  contract.indexOf('## Env the operator sets on bot pods'),
  contract.indexOf('### Set by the operator, not read by the runtime yet'),
);
const gapSection = contract.slice(
  contract.indexOf('### Set by the operator, not read by the runtime yet'),
  contract.indexOf('### Read by the runtime, not set by the operator'),
);
/** First column of the env table: `| \`X\` | ...`. */
const documented = new Set(
  [...envSection.matchAll(new RegExp(`^\\|\\s*\`(${NAME})\`\\s*\\|`, 'gm'))].map((m) => m[1]!),
);

describe('CONTRACT.md: env between the operator and the bot pods', () => {
  it('the parsers find both sides (guards the patterns themselves)', () => {
    for (const name of [
      'PORT',
      'FLEET_ID',
      'AUTH_JWKS_URL',
      'TRUSTED_PROXIES',
      'LLM_API_KEY',
      'MODEL_VERSION',
    ]) {
      expect(operatorSets).toContain(name);
    }
    for (const name of [
      'REDIS_URL',
      'REDIS_PASSWORD',
      'KAFKA_BROKERS',
      'KAFKA_SASL_USERNAME',
      'POD_NAMESPACE',
    ]) {
      expect(operatorSets).toContain(name);
    }
    for (const name of ['PORT', 'HTTP_CONNECTION_TIMEOUT_MS', 'REDIS_CLUSTER_NODES', 'CHATFLEET_TRACK']) {
      expect(runtimeReads).toContain(name);
    }
    expect(documented.size).toBeGreaterThan(30);
  });

  it('every env var the workload builds is one the parser saw (a fully configured fleet, routing on)', () => {
    const cbd = minimalCr({
      runtime: {
        image: 'registry.local/bot:1.0',
        trustedProxies: ['10.0.0.0/8'],
        llm: { endpoint: 'http://llm', model: 'm', apiKeySecretRef: { name: 'llm', key: 'k' } },
        auth: {
          apiKeysSecretRef: { name: 'keys', key: 'k' },
          jwt: {
            jwksUrl: 'https://idp/jwks',
            issuer: 'idp',
            audiences: ['a'],
            secretRef: { name: 'jwt', key: 'k' },
          },
        },
      },
      model: { name: 'support-bot', version: 'v7', bundleConfigMap: 'bundle' },
    });
    const built = [
      ...Object.keys(runtimeConfigData(cbd)),
      ...containerEnv(cbd, [], { routingConfigMap: 'support-routing' }).map((e) => e.name),
    ];
    expect(built.length).toBeGreaterThan(25);
    expect(built.filter((name) => !operatorSets.has(name))).toEqual([]);
  });

  it('documents every env var the operator sets, and nothing it does not', () => {
    expect(sorted(operatorSets).filter((name) => !documented.has(name))).toEqual([]);
    expect(sorted(documented).filter((name) => !operatorSets.has(name))).toEqual([]);
  });

  it('the runtime reads every env var the operator sets, apart from the listed gaps', () => {
    expect(sorted(operatorSets).filter((name) => !runtimeReads.has(name))).toEqual(NOT_READ_YET);
  });

  it('CONTRACT.md lists the same gaps', () => {
    const listed = new Set([...gapSection.matchAll(new RegExp(`\`(${NAME})\``, 'g'))].map((m) => m[1]!));
    expect(sorted(listed)).toEqual(NOT_READ_YET);
  });
});

describe('CONTRACT.md: env between the operator and the worker pods', () => {
  const workerSets = matches(read('operator/workers/env.ts'), OPERATOR_PATTERNS);
  const workerSection = contract.slice(
    contract.indexOf('## Env the operator sets on worker pods'),
    contract.indexOf('## Metrics the operator reads'),
  );
  const workerDocumented = new Set(
    [...workerSection.matchAll(new RegExp(`^\\|\\s*\`(${NAME})\`\\s*\\|`, 'gm'))].map((m) => m[1]!),
  );
  /** The worker's own rows; the rest (LLM_API_KEY, the data plane's) are the bots' rows above. */
  const workerOnly = sorted([...workerSets].filter((name) => !documented.has(name)));

  it('the parser finds the worker env (guards the pattern)', () => {
    expect(workerOnly).toEqual(expect.arrayContaining(['KAFKA_TASKS_GROUP', 'WORKER_CONCURRENCY']));
  });

  it('documents every worker env var, and nothing the worker env does not set', () => {
    expect(workerOnly).toEqual(sorted(workerDocumented));
  });

  it('the runtime reads every worker env var the operator sets', () => {
    expect(workerOnly.filter((name) => !runtimeReads.has(name))).toEqual([]);
  });

  it('every env var a fully configured worker gets is one the parsers saw, or a webhook key', () => {
    const cbd = workerCbd({
      runtime: { image: 'i', llm: { endpoint: 'http://llm', apiKeySecretRef: { name: 'l', key: 'k' } } },
      workers: {
        webhooks: [{ name: 'crm-handoff', url: 'https://crm.example/h', secretRef: { name: 's', key: 'k' } }],
      },
    });
    const built = workerEnv(cbd).map((e) => e.name);
    const unknown = built.filter((n) => !workerSets.has(n) && !operatorSets.has(n));
    expect(unknown).toEqual(['WEBHOOK_SECRET_CRM_HANDOFF']);
  });
});

describe('CONTRACT.md references in the code', () => {
  /** Every quoted section name after CONTRACT.md in tracked source files (test files aside), with where it is. */
  const tracked = execFileSync('git', ['ls-files', 'operator', 'bot-runtime', 'charts', 'scripts'], {
    cwd: new URL('.', root),
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.(ts|js|yaml)$/.test(f) && !f.endsWith('.test.ts'));
  const references = tracked.flatMap((file) =>
    [...read(file).matchAll(/CONTRACT\.md[^"\n]{0,3}"([^"]+)"/g)].map((m) => ({ file, section: m[1]! })),
  );
  const headings = [...contract.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!);

  it('finds the references (guards the pattern)', () => {
    expect(references.map((r) => r.section)).toContain('Ports');
  });

  it('every quoted section exists (a heading that starts with it)', () => {
    const missing = references.filter((r) => !headings.some((h) => h.startsWith(r.section)));
    expect(missing).toEqual([]);
  });
});
