import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file of the shared project data (`shared/data/…`, kept outside the repository: its terms keep
 * it out of published packages). Looked for in `HX_SHARED_DATA_DIR`, then in a `shared/data`
 * beside the checkout or any folder above it, then at the machine's `/work/shared/data`; a test
 * that needs it fails, naming where it looked, when none has it.
 */
export function sharedData(relative: string): string {
  const tried: string[] = [];
  const candidates = [
    ...(process.env.HX_SHARED_DATA_DIR ? [process.env.HX_SHARED_DATA_DIR] : []),
    ...ancestors(path.dirname(fileURLToPath(import.meta.url))).map((dir) => path.join(dir, 'shared', 'data')),
    '/work/shared/data',
  ];
  for (const dir of candidates) {
    const file = path.join(dir, relative);
    if (existsSync(file)) return file;
    tried.push(dir);
  }
  throw new Error(`shared data ${relative} not found (HX_SHARED_DATA_DIR, or: ${tried.join(', ')})`);
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}
