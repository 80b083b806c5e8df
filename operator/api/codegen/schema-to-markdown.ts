// Renders the field reference of docs/api.md from the CRD schema, so the documented fields,
// defaults and validations can never drift from what the API server enforces.
import type { JsonSchema } from './schema-to-ts.js';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED FIELD REFERENCE (npm run generate) -->';
export const END_MARKER = '<!-- END GENERATED FIELD REFERENCE -->';

interface Row {
  path: string;
  schema: JsonSchema;
  required: boolean;
}

/** GFM table cell: a pipe must be escaped (also inside code spans); backslashes stay as they are. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

const QUANTITY_PATTERN_MARK = '[KMGTPE]i';

function typeName(schema: JsonSchema): string {
  if (schema['x-kubernetes-int-or-string']) return 'int or string';
  if (schema.type === 'array') return `[]${schema.items ? typeName(schema.items) : 'unknown'}`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `map[string]${typeName(schema.additionalProperties)}`;
  }
  return schema.type ?? 'unknown';
}

function rangeText(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (schema.minimum !== undefined) out.push(`${schema.exclusiveMinimum ? '>' : '>='} ${schema.minimum}`);
  if (schema.maximum !== undefined) out.push(`${schema.exclusiveMaximum ? '<' : '<='} ${schema.maximum}`);
  return out;
}

function sizeText(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (schema.minLength !== undefined) out.push(`length >= ${schema.minLength}`);
  if (schema.maxLength !== undefined) out.push(`length <= ${schema.maxLength}`);
  if (schema.minItems !== undefined) out.push(`items >= ${schema.minItems}`);
  if (schema.maxItems !== undefined) out.push(`items <= ${schema.maxItems}`);
  if (schema.maxProperties !== undefined) out.push(`entries <= ${schema.maxProperties}`);
  return out;
}

function validationText(schema: JsonSchema): string {
  const out = [...rangeText(schema), ...sizeText(schema)];
  if (schema.enum) out.push(`one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (schema.pattern?.includes(QUANTITY_PATTERN_MARK))
    out.push('a Kubernetes quantity (e.g. 250m, 1.5, 512Mi)');
  else if (schema.pattern) out.push(`pattern \`${schema.pattern}\``);
  const listKeys = schema['x-kubernetes-list-map-keys'];
  if (listKeys) out.push(`unique by ${listKeys.join(', ')}`);
  for (const rule of schema['x-kubernetes-validations'] ?? []) out.push(`${rule.message ?? rule.rule}`);
  return out.join('; ');
}

function collect(schema: JsonSchema, prefix: string, rows: Row[]): Row[] {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    rows.push({ path, schema: child, required: schema.required?.includes(name) ?? false });
    if (child.properties) collect(child, path, rows);
    if (child.items?.properties) collect(child.items, `${path}[]`, rows);
  }
  return rows;
}

function table(rows: Row[]): string {
  const lines = ['| Field | Type | Default | Validation | Description |', '| --- | --- | --- | --- | --- |'];
  for (const { path, schema, required } of rows) {
    const def =
      schema.default === undefined
        ? required
          ? '**required**'
          : ''
        : `\`${JSON.stringify(schema.default)}\``;
    lines.push(
      `| \`${path}\` | ${cell(typeName(schema))} | ${cell(def)} | ${cell(validationText(schema))} | ${cell(schema.description ?? '')} |`,
    );
  }
  return lines.join('\n');
}

/** One section per top-level object of spec and one for status, each a table of every field under it. */
export function renderFieldReference(root: JsonSchema): string {
  const parts: string[] = [];
  for (const top of ['spec', 'status']) {
    const topSchema = root.properties?.[top];
    if (!topSchema) continue;
    for (const [name, section] of Object.entries(topSchema.properties ?? {})) {
      const heading = `### \`${top}.${name}\``;
      const rules = section['x-kubernetes-validations'] ?? [];
      const intro = [section.description ?? '', ...rules.map((r) => `Validation: ${r.message ?? r.rule}.`)]
        .filter(Boolean)
        .join(' ');
      const rows = collect({ properties: { [name]: section }, required: topSchema.required ?? [] }, top, []);
      parts.push(`${heading}\n\n${intro}\n\n${table(rows)}`);
    }
  }
  return parts.join('\n\n');
}

/** Replaces the text between the markers of `doc` with `reference`; fails when the markers are missing. */
export function spliceReference(doc: string, reference: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin === -1 || end < begin)
    throw new Error(`docs/api.md must contain ${BEGIN_MARKER} and ${END_MARKER}`);
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n\n${reference}\n\n${doc.slice(end)}`;
}
