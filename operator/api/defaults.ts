// Structural defaulting as the API server does it (OpenAPI `default`, applied top-down so a
// parent's `default: {}` lets its children's defaults cascade). Pure: lets unit tests and
// pure decision code work with fully defaulted specs without an API server. An integration
// test checks that the result equals what the real API server stores.
import type { JsonSchema } from './codegen/schema-to-ts.js';
import type {
  ChatbotDeployment,
  ChatbotDeploymentInput,
  ChatbotDeploymentSpec,
  ChatbotDeploymentSpecInput,
} from './generated/chatbotdeployment.js';
import { chatbotDeploymentCrd } from './generated/crd.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultObjectFields(schema: JsonSchema, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // The API server prunes nulls of non-nullable fields before defaulting.
    if (child !== null) out[key] = child;
  }
  for (const [key, propSchema] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && propSchema.default !== undefined)
      out[key] = structuredClone(propSchema.default);
    if (out[key] !== undefined) out[key] = applySchemaDefaults(propSchema, out[key]);
  }
  const extra = schema.additionalProperties;
  if (typeof extra === 'object') {
    for (const key of Object.keys(out)) out[key] = applySchemaDefaults(extra, out[key]);
  }
  return out;
}

/** Returns a copy of `value` with every schema default applied; the input is not modified. */
export function applySchemaDefaults(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const list: unknown[] = value;
    const items = schema.items;
    return items ? list.map((v) => applySchemaDefaults(items, v)) : [...list];
  }
  if (isObject(value)) return defaultObjectFields(schema, value);
  return value;
}

const crdVersion = chatbotDeploymentCrd.spec.versions[0];
if (!crdVersion) throw new Error('generated CRD has no versions');
const rootSchema = crdVersion.schema.openAPIV3Schema as unknown as JsonSchema;
const specSchema = rootSchema.properties?.spec;
if (!specSchema) throw new Error('generated CRD has no spec schema');

/** The spec as the API server would store it: every default filled in. */
export function specWithDefaults(spec: ChatbotDeploymentSpecInput): ChatbotDeploymentSpec {
  return applySchemaDefaults(specSchema as JsonSchema, spec) as ChatbotDeploymentSpec;
}

/** The object as the API server would store it: every default of spec filled in. */
export function withDefaults(cbd: ChatbotDeploymentInput): ChatbotDeployment {
  return { ...cbd, spec: specWithDefaults(cbd.spec) };
}

/**
 * `spec.<field>` as the API server stores it when the user leaves the field out, read from the CRD (for
 * fields with a schema `default`, such as scaling, slo and rollout). For code that needs one default
 * value rather than a defaulted object, so it never restates the number.
 */
export function specFieldDefault<K extends keyof ChatbotDeploymentSpec>(field: K): ChatbotDeploymentSpec[K] {
  const schema = (specSchema as JsonSchema).properties?.[field];
  if (schema?.default === undefined) throw new Error(`spec.${String(field)} has no default in the CRD`);
  return applySchemaDefaults(schema, structuredClone(schema.default)) as ChatbotDeploymentSpec[K];
}
