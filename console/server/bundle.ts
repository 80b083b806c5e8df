import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder up from here with a package.json (works from console/ and dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('console: cannot find the repository root (package.json)');
}

const BUNDLE_FILES = ['index.html', 'app.js', 'app.css'];

/** Newest modification time of the front end's sources (0 when they are not there, as in a package). */
function newestSource(root: string): number {
  let newest = 0;
  for (const dir of ['console/web', 'console/shared']) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs)) newest = Math.max(newest, statSync(join(abs, f)).mtimeMs);
  }
  return newest;
}

/**
 * dist/console-web, built now (esbuild, a dev dependency) when `npm run build` has not made it, or
 * when a source in this checkout is newer than the bundle (so a test never runs a stale front end).
 */
export async function ensureBundle(): Promise<string> {
  const root = repoRoot();
  const out = join(root, 'dist', 'console-web');
  const built = BUNDLE_FILES.every((f) => existsSync(join(out, f)));
  if (built && statSync(join(out, 'app.js')).mtimeMs >= newestSource(root)) return out;
  const { buildConsole } = await import('../build.js');
  return buildConsole(root);
}
