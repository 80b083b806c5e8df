// The CRD is the one source of defaults. Code reads them through withDefaults / specFieldDefault; these
// tests fail when a default written in code (a constant, or a value the autoscaler derives) says
// something else than the schema's `default`.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveScalingPolicy, resolveSloPolicy } from '../autoscaler/policy.js';
import type { JsonSchema } from './codegen/schema-to-ts.js';
import { specFieldDefault } from './defaults.js';
import { defaultedCbd } from './fixtures.js';
import { chatbotDeploymentCrd, DEFAULT_TARGET_INFLIGHT_SHARE } from './index.js';

const OPERATOR = join(dirname(fileURLToPath(import.meta.url)), '..');
const specSchema = (chatbotDeploymentCrd.spec.versions[0]!.schema.openAPIV3Schema as unknown as JsonSchema)
  .properties!.spec!;

interface Leaf {
  path: string[];
  value: unknown;
}

/** Every property of `schema` that has a `default` and is not an object (objects default to `{}`). */
function defaultLeaves(schema: JsonSchema, path: string[] = []): Leaf[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => {
    const here = [...path, key];
    const own =
      child.default !== undefined && child.type !== 'object' ? [{ path: here, value: child.default }] : [];
    const items = child.items ? defaultLeaves(child.items, [...here, '[]']) : [];
    return [...own, ...defaultLeaves(child, here), ...items];
  });
}

function at(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

/** A leaf the resolved object has at the same path; list items (`[]`) are not reachable without data. */
function comparable(leaves: Leaf[], resolved: object): Leaf[] {
  return leaves.filter((l) => !l.path.includes('[]') && at(resolved, l.path) !== undefined);
}

describe('the autoscaler reads the CRD defaults', () => {
  it('every spec.scaling default equals the resolved policy of a CR that sets nothing', () => {
    const policy = resolveScalingPolicy(defaultedCbd());
    const leaves = comparable(defaultLeaves(specSchema.properties!.scaling!), policy);
    expect(leaves.length).toBeGreaterThanOrEqual(15);
    for (const leaf of leaves)
      expect([leaf.path.join('.'), at(policy, leaf.path)]).toEqual([leaf.path.join('.'), leaf.value]);
  });

  it('every spec.slo default equals the resolved SLO', () => {
    const slo = resolveSloPolicy(defaultedCbd());
    const leaves = comparable(defaultLeaves(specSchema.properties!.slo!), slo);
    expect(leaves.map((l) => l.path.join('.'))).toEqual(['latency.percentile', 'latency.targetMs']);
    for (const leaf of leaves) expect(at(slo, leaf.path)).toEqual(leaf.value);
  });

  it('the default in-flight target share is the one the CRD documents', () => {
    const description = specSchema.properties!.scaling!.properties!.targetInflightPerPod!.description ?? '';
    expect(description).toContain(`Unset means ${DEFAULT_TARGET_INFLIGHT_SHARE} x spec.runtime.maxInflight`);
  });
});

describe('specFieldDefault', () => {
  it('is the schema default of the field with its nested defaults applied', () => {
    const scaling = specFieldDefault('scaling');
    for (const leaf of comparable(defaultLeaves(specSchema.properties!.scaling!), scaling))
      expect(at(scaling, leaf.path)).toEqual(leaf.value);
    expect(specFieldDefault('slo')).toEqual(defaultedCbd().spec.slo);
  });

  it('throws for a field the CRD gives no default', () => {
    expect(() => specFieldDefault('model')).toThrow('spec.model has no default in the CRD');
  });

  it('hands out copies: changing one does not change the next', () => {
    specFieldDefault('scaling').behavior.scaleUp.policies.length = 0;
    expect(specFieldDefault('scaling').behavior.scaleUp.policies.length).toBeGreaterThan(0);
  });
});

/** Non-generated, non-test sources of the operator. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ['generated', 'integration'].includes(e.name) ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.includes('.test') ? [path] : [];
  });
}

const camel = (upper: string): string =>
  upper.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** CRD properties by name, wherever they are (a name may occur at several places). */
function propertiesByName(
  schema: JsonSchema,
  out = new Map<string, JsonSchema[]>(),
): Map<string, JsonSchema[]> {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    out.set(key, [...(out.get(key) ?? []), child]);
    propertiesByName(child, out);
    if (child.items) propertiesByName(child.items, out);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The CRD properties a constant named `name` may restate: with a default, or (for `_DEFAULTS`) with fields. */
function restated(name: string, byName: Map<string, JsonSchema[]>): JsonSchema[] {
  const candidates = byName.get(camel(name.replace(/^DEFAULT_|_DEFAULTS$/g, ''))) ?? [];
  return name.endsWith('_DEFAULTS')
    ? candidates.filter((c) => c.properties !== undefined)
    : candidates.filter((c) => c.default !== undefined);
}

/** DEFAULT_<FIELD> must equal the field's default; <FIELD>_DEFAULTS each default of the object's fields. */
function holdsCrdDefault(name: string, value: unknown, candidates: JsonSchema[]): boolean {
  if (name.endsWith('_DEFAULTS')) {
    return candidates.some((c) =>
      Object.entries(value as object).every(([k, v]) => {
        const d = c.properties?.[k]?.default;
        return d === undefined || same(d, v);
      }),
    );
  }
  return candidates.some((c) => same(c.default, value));
}

describe('default constants in code', () => {
  // Today no such constant is left (they were hand copies); this keeps a new one honest.
  it('a DEFAULT_<FIELD> or <FIELD>_DEFAULTS constant named after a CRD field holds the CRD default', async () => {
    const byName = propertiesByName(specSchema);
    const mismatches: string[] = [];
    for (const file of sources(OPERATOR)) {
      const text = readFileSync(file, 'utf8');
      const names = [...text.matchAll(/export const (DEFAULT_[A-Z0-9_]+|[A-Z0-9_]+_DEFAULTS)\b/g)].map(
        (m) => m[1]!,
      );
      if (names.length === 0) continue;
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const name of names) {
        const candidates = restated(name, byName);
        if (candidates.length === 0) continue;
        if (!holdsCrdDefault(name, module[name], candidates))
          mismatches.push(`${relative(OPERATOR, file)}: ${name} = ${JSON.stringify(module[name])}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('the name check catches a constant that drifted', () => {
    const byName = propertiesByName(specSchema);
    const maxReplicas = restated('DEFAULT_MAX_REPLICAS', byName);
    expect(holdsCrdDefault('DEFAULT_MAX_REPLICAS', 10, maxReplicas)).toBe(true);
    expect(holdsCrdDefault('DEFAULT_MAX_REPLICAS', 12, maxReplicas)).toBe(false);
    const latency = restated('LATENCY_DEFAULTS', byName);
    expect(restated('DEFAULT_MODEL', byName)).toEqual([]);
    expect(holdsCrdDefault('LATENCY_DEFAULTS', { percentile: 95, targetMs: 300 }, latency)).toBe(true);
    expect(holdsCrdDefault('LATENCY_DEFAULTS', { percentile: 99, targetMs: 300 }, latency)).toBe(false);
  });
});
