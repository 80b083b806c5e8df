import { existsSync } from 'node:fs';
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

/** dist/console-web, built now (esbuild, a dev dependency) if `npm run build` has not made it. */
export async function ensureBundle(): Promise<string> {
  const root = repoRoot();
  const out = join(root, 'dist', 'console-web');
  if (['index.html', 'app.js', 'app.css'].every((f) => existsSync(join(out, f)))) return out;
  const { buildConsole } = await import('../build.js');
  return buildConsole(root);
}
