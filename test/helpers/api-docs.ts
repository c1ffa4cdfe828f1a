import { readFileSync } from 'node:fs';

/** `METHOD /path` with every `{param}` written `{}`: how the docs and the OpenAPI are compared. */
const normal = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`;

/**
 * The routes docs/api.md's table lists: the first column's `METHOD /path` items, where `…/x`
 * continues the previous path (`POST /v1/a/{id}/claim`, `…/resolve` → `POST /v1/a/{id}/resolve`)
 * with the previous method unless it names its own; query strings dropped.
 */
export function documentedRoutes(markdownFile: string): Set<string> {
  const routes = new Set<string>();
  for (const line of readFileSync(markdownFile, 'utf8').split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.split('|')[1] ?? '';
    let method = '';
    let previous = '';
    for (const [, item] of first.matchAll(/`([^`]+)`/g)) {
      const m = /^(?:(GET|POST|PUT|PATCH|DELETE) )?(\S+)$/.exec(item!.trim());
      if (m === null) continue;
      method = m[1] ?? method;
      let path = m[2]!.replace(/\?.*$/, '');
      if (path.startsWith('…')) {
        const tail = path.slice(1);
        const firstSegment = `/${tail.split('/')[1]}`;
        const at = previous.lastIndexOf(firstSegment);
        const base = at > 0 ? previous.slice(0, at) : previous.slice(0, previous.lastIndexOf('/'));
        path = base + tail;
      }
      if (!path.startsWith('/v1/') || method === '') continue;
      routes.add(normal(method, path));
      previous = path;
    }
  }
  return routes;
}

/** The routes an OpenAPI document lists under `/v1/`. */
export function openApiRoutes(doc: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  const routes = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths))
    if (path.startsWith('/v1/')) for (const method of Object.keys(ops)) routes.add(normal(method, path));
  return routes;
}
