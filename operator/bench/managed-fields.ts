/**
 * The part of a live object one field manager applied, from its managedFields (fieldsV1): what the
 * operator wrote, without what the API server defaulted or allocated (clusterIP, uid, strategy, ...).
 * The baseline writes these projections, so it writes exactly what the operator's steady state holds.
 * Pure.
 */
type Json = unknown;
interface FieldSet {
  [field: string]: FieldSet;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: FieldSet;
}

const isRecord = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A leaf, or a set that names only the node itself: the whole value is the manager's. */
function isWhole(set: FieldSet): boolean {
  const keys = Object.keys(set);
  return keys.length === 0 || (keys.length === 1 && keys[0] === '.');
}

function matchesKey(item: Json, key: Record<string, Json>): boolean {
  return (
    isRecord(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v))
  );
}

function projectList(live: Json[], set: FieldSet): Json[] {
  const out: Json[] = [];
  for (const item of live) {
    for (const [k, sub] of Object.entries(set)) {
      const taken =
        (k.startsWith('k:') && matchesKey(item, JSON.parse(k.slice(2)) as Record<string, Json>)) ||
        (k.startsWith('v:') && JSON.stringify(item) === JSON.stringify(JSON.parse(k.slice(2))));
      if (taken) {
        out.push(k.startsWith('v:') || isWhole(sub) ? item : project(item, sub));
        break;
      }
    }
  }
  return out;
}

/** The fields of `live` that `set` names (fieldsV1 syntax: f:field, k:{list key}, v:set value). */
export function project(live: Json, set: FieldSet): Json {
  if (Array.isArray(live)) return projectList(live, set);
  if (!isRecord(live)) return live;
  const out: Record<string, Json> = {};
  for (const [k, sub] of Object.entries(set)) {
    if (!k.startsWith('f:')) continue;
    const field = k.slice(2);
    if (!(field in live)) continue;
    out[field] = isWhole(sub) ? live[field] : project(live[field], sub);
  }
  return out;
}

/** The fields `manager` applied to the object (or to its `subresource`), merged over its entries. */
export function appliedBy(
  obj: { metadata: object },
  manager: string,
  subresource?: string,
): Record<string, Json> {
  const all = (obj.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
  const entries = all.filter(
    (e) => e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === (subresource ?? ''),
  );
  const merged: Record<string, Json> = {};
  for (const e of entries) Object.assign(merged, project(obj as Json, e.fieldsV1 ?? {}));
  return merged;
}
