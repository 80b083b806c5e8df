// Shared setup of the ChatbotDeployment API tests (validation.test.ts, status.test.ts): a namespace on the
// test environment's real kube-apiserver with the CRD installed, and small typed calls on it.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_GROUP_VERSION,
  API_VERSION,
  KIND,
  PLURAL,
  type ChatbotDeployment,
  type ChatbotDeploymentInput,
} from '../index.js';
import {
  apiErrorMessage,
  installCrd,
  kubeConfig,
  requireTestEnv,
  uniqueSuffix,
  type TestEnv,
} from './test-env.js';

/** A spec as a client may send it: possibly invalid, so not typed as the CRD's. */
export type Spec = Record<string, unknown>;

export const minimalSpec = (): Spec => ({
  runtime: { image: 'ghcr.io/acme/chatfleet-bot:1.0.0' },
  model: { name: 'faq', version: 'v1' },
});

export function cbdInput(name: string, spec: Spec): ChatbotDeploymentInput {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND,
    metadata: { name },
    spec,
  } as unknown as ChatbotDeploymentInput;
}

/** Call setup() in beforeAll and teardown() in afterAll. */
export class CbdApi {
  env!: TestEnv;
  kc!: KubeConfig;
  custom!: CustomObjectsApi;
  core!: CoreV1Api;
  readonly namespace: string;

  constructor(prefix: string) {
    this.namespace = `${prefix}-${uniqueSuffix()}`;
  }

  async setup(): Promise<void> {
    this.env = requireTestEnv();
    this.kc = kubeConfig(this.env);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.core = this.kc.makeApiClient(CoreV1Api);
    await installCrd(this.env, this.kc);
    await this.core.createNamespace({
      body: { metadata: { name: this.namespace, labels: { 'chatfleet.io/test': 'api' } } },
    });
  }

  async teardown(): Promise<void> {
    await this.core?.deleteNamespace({ name: this.namespace }).catch(() => undefined);
  }

  private get where(): { group: string; version: string; namespace: string; plural: string } {
    return { group: API_GROUP, version: API_VERSION, namespace: this.namespace, plural: PLURAL };
  }

  async create(body: ChatbotDeploymentInput, dryRun?: 'All'): Promise<ChatbotDeployment> {
    return (await this.custom.createNamespacedCustomObject({
      ...this.where,
      body,
      dryRun,
    })) as ChatbotDeployment;
  }

  async get(name: string): Promise<ChatbotDeployment> {
    return (await this.custom.getNamespacedCustomObject({ ...this.where, name })) as ChatbotDeployment;
  }

  async replace(name: string, body: object): Promise<ChatbotDeployment> {
    return (await this.custom.replaceNamespacedCustomObject({
      ...this.where,
      name,
      body,
    })) as ChatbotDeployment;
  }

  async replaceStatus(name: string, body: object): Promise<ChatbotDeployment> {
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.where,
      name,
      body,
    })) as ChatbotDeployment;
  }

  /** Creates (server-side dry run) and returns the API server's rejection message, or fails. */
  async rejection(spec: Spec, name = `bad-${uniqueSuffix()}`): Promise<string> {
    try {
      await this.create(cbdInput(name, spec), 'All');
    } catch (err: unknown) {
      return apiErrorMessage(err);
    }
    throw new Error(`the API server accepted an invalid spec: ${JSON.stringify(spec)}`);
  }
}
