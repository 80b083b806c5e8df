// Helpers shared by the data plane's Kafka integration tests: read a topic on the real broker, manage
// SCRAM users, and clean up after a test namespace (finalizers released first, so it goes away without
// the operator).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { deleteNamespace, kubectl } from '../../integration/support.js';

const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** Partition count, or undefined when the topic is not listed. */
export async function partitionsOf(admin: Admin, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]?.partitions.length;
}

/** The topic-level overrides (config source TOPIC_CONFIG), not broker defaults. */
export async function overridesOf(admin: Admin, topic: string): Promise<Record<string, string>> {
  const res = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const out: Record<string, string> = {};
  for (const e of res.resources[0]?.configEntries ?? []) {
    if (e.configSource === ConfigSource.TOPIC_CONFIG) out[e.configName] = e.configValue;
  }
  return out;
}

/** Topic deletion is asynchronous in the controller; poll (bounded, 10 s) until metadata agrees. */
export async function eventuallyListed(admin: Admin, topic: string, listed: boolean): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if ((await admin.listTopics()).includes(topic) === listed) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Sets (null: removes) the finalizers of an object, e.g. ref `cbd/x` or `chatbotdeployment.chatfleet.io/x`. */
export async function setFinalizers(ns: string, ref: string, finalizers: string[] | null): Promise<void> {
  await kubectl(['-n', ns, 'patch', ref, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers } })]);
}

/** Releases every ChatbotDeployment's finalizers in the namespace, then deletes it. */
export async function releaseAndDeleteNamespace(ns: string): Promise<void> {
  const refs = await kubectl(['-n', ns, 'get', 'chatbotdeployments', '-o', 'name']).catch(() => '');
  for (const ref of refs.split('\n').filter(Boolean))
    await setFinalizers(ns, ref, null).catch(() => undefined);
  await deleteNamespace(ns);
}

/** Deletes those of the topics that exist, and disconnects. */
export async function deleteTopicsAndDisconnect(admin: Admin, topics: Iterable<string>): Promise<void> {
  const existing = await admin.listTopics();
  // DeleteTopics refuses a request that names a topic twice.
  const mine = [...new Set(topics)].filter((t) => existing.includes(t));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
}

/** testenv/kafka.sh add-user NAME PASSWORD / remove-user NAME (SCRAM users of the test broker). */
export async function kafkaUsers(...args: string[]): Promise<void> {
  await promisify(execFile)('bash', ['testenv/kafka.sh', ...args], { cwd: process.cwd(), timeout: 120_000 });
}
