// Shared setup of kafka-topics*.test.ts: a run prefix for topic names, CR and topic builders, the
// real broker's admin client and topic claims in a namespace of this run, cleaned up afterwards.
import { afterAll, beforeAll } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { KafkaSpecInput, KafkaTopicSpecInput } from '../../api/index.js';
import {
  createNamespace,
  deleteNamespace,
  installCrd,
  requireKafkaBrokers,
  requireKubeconfig,
} from '../../integration/support.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { testCbd } from '../fixtures.js';
import { KubeTopicOwnership } from '../kafka/claims.js';
import type { TopicsDeps } from '../kafka/reconcile.js';
import type { ChatbotDeployment } from '../types.js';
import { deleteTopicsAndDisconnect } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

export const brokers = requireKafkaBrokers();

export interface TopicsSuite {
  /** Prefix of this suite's topic names (and the CRs' namespace). */
  run: string;
  admin: Admin;
  client: KubeClient;
  claimsNs: string;
  deps: TopicsDeps;
  /** Topics to delete after the suite (besides those starting with `run.`). */
  created: Set<string>;
  cbd(name: string, kafka: Partial<KafkaSpecInput>, maxReplicas?: number): ChatbotDeployment;
  tasksTopic(name: string, over?: Partial<KafkaTopicSpecInput>): KafkaTopicSpecInput;
}

/** Registers the suite's beforeAll/afterAll and returns what its tests use. */
export function topicsSuite(): TopicsSuite {
  const run = `dp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const created = new Set<string>();
  const t = {
    run,
    created,
    cbd: (name: string, kafka: Partial<KafkaSpecInput>, maxReplicas = 3): ChatbotDeployment =>
      testCbd({
        metadata: { name, namespace: run, uid: `uid-${name}` },
        kafka: { bootstrapServers: brokers, ...kafka },
        maxReplicas,
      }),
    tasksTopic: (name: string, over: Partial<KafkaTopicSpecInput> = {}): KafkaTopicSpecInput => {
      created.add(name);
      return { name, partitions: 3, replicationFactor: 1, purpose: 'tasks', config: {}, ...over };
    },
  } as TopicsSuite;
  beforeAll(async () => {
    t.admin = new Kafka({ clientId: 'dataplane-it', brokers, logLevel: logLevel.NOTHING }).admin();
    await t.admin.connect();
    requireKubeconfig();
    t.client = await KubeClient.create(loadKubeConfig(process.env).kc);
    await installCrd();
    t.claimsNs = await createNamespace('cf-claims');
    t.deps = { ownership: new KubeTopicOwnership(t.client, t.claimsNs) };
  });
  afterAll(async () => {
    // The namespace first: a failing topic cleanup must not leave it behind.
    if (t.claimsNs) await deleteNamespace(t.claimsNs);
    t.client?.close();
    const existing = (await t.admin.listTopics()).filter((topic) => topic.startsWith(`${run}.`));
    await deleteTopicsAndDisconnect(t.admin, [...existing, ...created]);
  });
  return t;
}
