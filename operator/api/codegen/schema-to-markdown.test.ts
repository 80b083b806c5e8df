import { describe, expect, it } from '@jest/globals';
import { BEGIN_MARKER, END_MARKER, renderFieldReference, spliceReference } from './schema-to-markdown.js';
import type { JsonSchema } from './schema-to-ts.js';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['scaling'],
      properties: {
        scaling: {
          type: 'object',
          description: 'Scaling.',
          default: {},
          'x-kubernetes-validations': [
            { rule: 'self.a <= self.b', message: 'spec.scaling.a must be <= spec.scaling.b' },
          ],
          properties: {
            a: { type: 'integer', default: 2, minimum: 1, maximum: 9, description: 'Lower bound.' },
            mode: { type: 'string', enum: ['x', 'y'], description: 'Mode.' },
            pattern: { type: 'string', pattern: '^(a|b)$', description: 'With a pipe.' },
            items: {
              type: 'array',
              maxItems: 3,
              description: 'List.',
              items: {
                type: 'object',
                required: ['n'],
                properties: { n: { type: 'string', description: 'Name.' } },
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: { ready: { type: 'object', properties: { at: { type: 'string', description: 'When.' } } } },
    },
  },
};

describe('renderFieldReference', () => {
  const out = renderFieldReference(schema);

  it('has one section per spec and status section with the section rules', () => {
    expect(out).toContain(
      '### `spec.scaling`\n\nScaling. Validation: spec.scaling.a must be <= spec.scaling.b.',
    );
    expect(out).toContain('### `status.ready`');
  });

  it('lists every nested field with type, default, validation and description', () => {
    expect(out).toContain('| `spec.scaling.a` | integer | `2` | >= 1; <= 9 | Lower bound. |');
    expect(out).toContain('| `spec.scaling.mode` | string |  | one of `x`, `y` | Mode. |');
    expect(out).toContain('| `spec.scaling.items` | []object |  | items <= 3 | List. |');
    expect(out).toContain('| `spec.scaling.items[].n` | string | **required** |  | Name. |');
  });

  it('escapes pipes so table cells stay intact', () => {
    expect(out).toContain('pattern `^(a\\|b)$`');
  });
});

describe('spliceReference', () => {
  it('replaces only the text between the markers and is idempotent', () => {
    const doc = `intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\noutro\n`;
    const once = spliceReference(doc, 'NEW');
    expect(once).toBe(`intro\n${BEGIN_MARKER}\n\nNEW\n\n${END_MARKER}\noutro\n`);
    expect(spliceReference(once, 'NEW')).toBe(once);
  });

  it('fails without markers', () => {
    expect(() => spliceReference('no markers', 'x')).toThrow('must contain');
  });
});
