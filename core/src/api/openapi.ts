/**
 * The request schemas declare defaults the server fills in (ajv `useDefaults`), so a field with a
 * default is not required of a client, whatever its TypeBox type says: the OpenAPI document drops
 * such fields from `required`, everywhere in it.
 */
export function relaxDefaults<T>(node: T): T {
  if (Array.isArray(node)) {
    for (const item of node) relaxDefaults(item);
    return node;
  }
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const properties = o.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(o.required) && properties !== undefined && typeof properties === 'object') {
    const required = (o.required as string[]).filter((name) => properties[name]?.default === undefined);
    if (required.length > 0) o.required = required;
    else delete o.required;
  }
  for (const value of Object.values(o)) relaxDefaults(value);
  return node;
}
