import { describe, expect, it } from '@jest/globals';
import { docComment, hasDefaults, renderTypes, type JsonSchema } from './schema-to-ts.js';

const root = { apiVersion: 'example.io/v1', kind: 'Widget' };

function widget(spec: JsonSchema): JsonSchema {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'api version' },
      kind: { type: 'string', description: 'kind' },
      metadata: { type: 'object' },
      spec,
    },
  };
}

const names = { '': 'Widget', spec: 'WidgetSpec', 'spec.parts[]': 'Part', 'spec.inner': 'Inner' };

describe('renderTypes', () => {
  it('makes defaulted fields required in the served type and optional in the Input type', () => {
    const out = renderTypes(
      widget({
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'n' },
          size: { type: 'integer', default: 3, description: 's' },
          note: { type: 'string', description: 'free text' },
        },
      }),
      names,
      root,
    );
    expect(out).toMatch(
      /export interface WidgetSpec \{[^}]*name: string;[^}]*size: number;[^}]*note\?: string;/s,
    );
    expect(out).toMatch(/export interface WidgetSpecInput \{[^}]*name: string;[^}]*size\?: number;/s);
    expect(out).toContain('apiVersion: "example.io/v1";');
    expect(out).toContain('metadata: V1ObjectMeta;');
    expect(out).toContain('export interface WidgetList {');
  });

  it('maps enums, int-or-string, maps and arrays of objects', () => {
    const out = renderTypes(
      widget({
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['a', 'b'], description: 'm' },
          qty: {
            'x-kubernetes-int-or-string': true,
            anyOf: [{ type: 'integer' }, { type: 'string' }],
            description: 'q',
          },
          labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'l' },
          parts: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
          empty: { type: 'object', description: 'e' },
        },
      }),
      names,
      root,
    );
    expect(out).toContain('mode?: "a" | "b";');
    expect(out).toContain('qty?: number | string;');
    expect(out).toContain('labels?: Record<string, string>;');
    expect(out).toContain('parts?: Part[];');
    expect(out).toContain('empty?: Record<string, never>;');
    expect(out).not.toContain('PartInput');
  });

  it('fails on an object schema without a type name', () => {
    const schema = widget({
      type: 'object',
      properties: { other: { type: 'object', properties: { x: { type: 'string' } } } },
    });
    expect(() => renderTypes(schema, names, root)).toThrow('no type name for schema path "spec.other"');
  });

  it('fails when two different schemas claim the same name', () => {
    const schema = widget({
      type: 'object',
      properties: {
        inner: { type: 'object', properties: { x: { type: 'string' } } },
        parts: { type: 'array', items: { type: 'object', properties: { y: { type: 'string' } } } },
      },
    });
    expect(() => renderTypes(schema, { ...names, 'spec.parts[]': 'Inner' }, root)).toThrow('already used');
  });
});

describe('docComment', () => {
  it('documents description, default, bounds and CEL messages, escaping comment terminators', () => {
    const doc = docComment({
      description: 'Replicas.',
      default: 2,
      minimum: 1,
      maximum: 9,
      exclusiveMaximum: true,
      pattern: 'a*/b',
      'x-kubernetes-validations': [{ rule: 'self > 0', message: 'spec.x must be positive' }],
    });
    expect(doc).toContain('Replicas.');
    expect(doc).toContain('Default: `2`. Minimum 1. Less than 9.');
    expect(doc).toContain('Validation: spec.x must be positive.');
    expect(doc).toContain('a*\\/b');
    expect(doc.match(/\*\//g)).toHaveLength(1);
  });

  it('is empty for a schema without anything to say', () => {
    expect(docComment({ type: 'string' })).toBe('');
  });
});

describe('hasDefaults', () => {
  it.each<[string, JsonSchema, boolean]>([
    ['leaf default', { type: 'integer', default: 1 }, true],
    [
      'nested default',
      { type: 'object', properties: { a: { type: 'object', properties: { b: { default: 1 } } } } },
      true,
    ],
    [
      'default in array items',
      { type: 'array', items: { type: 'object', properties: { b: { default: 1 } } } },
      true,
    ],
    ['none', { type: 'object', properties: { a: { type: 'string' } } }, false],
  ])('%s', (_name, schema, expected) => {
    expect(hasDefaults(schema)).toBe(expected);
  });
});
