// Renders TypeScript interfaces from a CRD's structural OpenAPI v3 schema. Used by
// scripts/generate-api-types.ts; pure (no I/O) so it is unit tested directly.

/** The subset of a structural schema (apiextensions.k8s.io/v1 JSONSchemaProps) this project uses. */
export interface JsonSchema {
  description?: string;
  type?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  anyOf?: JsonSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string; fieldPath?: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** Interface name per schema path ("" = root, "spec.scaling", "spec.runtime.env[]"). */
export type TypeNames = Readonly<Record<string, string>>;

export interface RootInfo {
  apiVersion: string;
  kind: string;
}

type Variant = 'served' | 'input';

interface Declaration {
  name: string;
  doc: string;
  body: string;
}

/** True when the schema or anything below it carries a `default` (then served and input types differ). */
export function hasDefaults(schema: JsonSchema): boolean {
  if (schema.default !== undefined) return true;
  const children = [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : [])];
  if (typeof schema.additionalProperties === 'object') children.push(schema.additionalProperties);
  return children.some(hasDefaults);
}

function escapeComment(text: string): string {
  return text.replaceAll('*/', '*\\/');
}

function bounds(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (schema.minimum !== undefined)
    out.push(`${schema.exclusiveMinimum ? 'Greater than' : 'Minimum'} ${schema.minimum}.`);
  if (schema.maximum !== undefined)
    out.push(`${schema.exclusiveMaximum ? 'Less than' : 'Maximum'} ${schema.maximum}.`);
  if (schema.minLength !== undefined) out.push(`Min length ${schema.minLength}.`);
  if (schema.maxLength !== undefined) out.push(`Max length ${schema.maxLength}.`);
  if (schema.minItems !== undefined) out.push(`Min items ${schema.minItems}.`);
  if (schema.maxItems !== undefined) out.push(`Max items ${schema.maxItems}.`);
  if (schema.maxProperties !== undefined) out.push(`Max entries ${schema.maxProperties}.`);
  if (schema.pattern !== undefined) out.push(`Pattern \`${schema.pattern}\`.`);
  return out;
}

/** JSDoc for a schema node: description, default, bounds and the messages of its CEL rules. */
export function docComment(schema: JsonSchema, indent = ''): string {
  const lines: string[] = schema.description ? [schema.description] : [];
  const facts = bounds(schema);
  if (schema.default !== undefined) facts.unshift(`Default: \`${JSON.stringify(schema.default)}\`.`);
  if (facts.length > 0) lines.push('', facts.join(' '));
  const rules = (schema['x-kubernetes-validations'] ?? []).map((v) => `Validation: ${v.message ?? v.rule}.`);
  if (rules.length > 0) lines.push('', ...rules);
  if (lines.length === 0) return '';
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ' ' + escapeComment(l) : ''}`).join('\n')}\n${indent} */\n`;
}

function isOptional(schema: JsonSchema, prop: string, variant: Variant): boolean {
  const child = schema.properties?.[prop];
  if (schema.required?.includes(prop)) return false;
  return !(variant === 'served' && child?.default !== undefined);
}

class Renderer {
  private readonly declarations = new Map<string, Declaration | null>();

  constructor(
    private readonly names: TypeNames,
    private readonly root: RootInfo,
  ) {}

  render(schema: JsonSchema): string {
    this.interfaceFor(schema, '', 'served');
    this.interfaceFor(schema, '', 'input');
    const list = [
      `/** A list of ${this.root.kind} objects. */`,
      `export interface ${this.root.kind}List {`,
      `  apiVersion: ${JSON.stringify(this.root.apiVersion)};`,
      `  kind: ${JSON.stringify(this.root.kind + 'List')};`,
      '  metadata?: V1ListMeta;',
      `  items: ${this.root.kind}[];`,
      '}',
    ].join('\n');
    const decls = [...this.declarations.values()].filter((d): d is Declaration => d !== null);
    const body = decls.map((d) => `${d.doc}export interface ${d.name} ${d.body}`).join('\n\n');
    return `import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';\n\n${body}\n\n${list}\n`;
  }

  private typeOf(schema: JsonSchema, path: string, variant: Variant): string {
    if (schema['x-kubernetes-int-or-string']) return 'number | string';
    if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        return this.arrayType(schema, path, variant);
      case 'object':
        return this.objectType(schema, path, variant);
      default:
        throw new Error(`schema path "${path}": unsupported type ${String(schema.type)}`);
    }
  }

  private arrayType(schema: JsonSchema, path: string, variant: Variant): string {
    if (!schema.items) throw new Error(`schema path "${path}": array without items`);
    const item = this.typeOf(schema.items, `${path}[]`, variant);
    return item.includes(' ') ? `Array<${item}>` : `${item}[]`;
  }

  private objectType(schema: JsonSchema, path: string, variant: Variant): string {
    if (schema.properties) return this.interfaceFor(schema, path, variant);
    if (typeof schema.additionalProperties === 'object') {
      return `Record<string, ${this.typeOf(schema.additionalProperties, `${path}{}`, variant)}>`;
    }
    if (schema['x-kubernetes-preserve-unknown-fields']) return 'Record<string, unknown>';
    return 'Record<string, never>';
  }

  private interfaceFor(schema: JsonSchema, path: string, variant: Variant): string {
    const base = this.names[path];
    if (!base) throw new Error(`no type name for schema path "${path}": add it to TYPE_NAMES`);
    const name = variant === 'input' && hasDefaults(schema) ? `${base}Input` : base;
    const known = this.declarations.get(name);
    if (known === null) return name; // being rendered further up the stack
    this.declarations.set(name, known ?? null); // reserve the position: parents come before children
    const body = this.interfaceBody(schema, path, variant);
    if (known && known.body !== body) {
      throw new Error(`schema path "${path}": type ${name} is already used for a different schema`);
    }
    this.declarations.set(name, known ?? { name, doc: docComment(schema), body });
    return name;
  }

  private interfaceBody(schema: JsonSchema, path: string, variant: Variant): string {
    const members = Object.entries(schema.properties ?? {}).map(([prop, child]) => {
      const childPath = path === '' ? prop : `${path}.${prop}`;
      const override = path === '' ? this.rootMember(prop) : undefined;
      const type = override ?? this.typeOf(child, childPath, variant);
      const optional = override === undefined && isOptional(schema, prop, variant);
      return `${docComment(child, '  ')}  ${prop}${optional ? '?' : ''}: ${type};`;
    });
    return `{\n${members.join('\n')}\n}`;
  }

  /** apiVersion, kind and metadata of the root are fixed by the API machinery, not by the schema. */
  private rootMember(prop: string): string | undefined {
    if (prop === 'apiVersion') return JSON.stringify(this.root.apiVersion);
    if (prop === 'kind') return JSON.stringify(this.root.kind);
    if (prop === 'metadata') return 'V1ObjectMeta';
    return undefined;
  }
}

/**
 * Renders one TypeScript module: for each object schema an interface named by `names`
 * (served variant, defaults applied), plus a `...Input` variant where defaulted fields are
 * optional, and a `<Kind>List` interface.
 */
export function renderTypes(schema: JsonSchema, names: TypeNames, root: RootInfo): string {
  return new Renderer(names, root).render(schema);
}
