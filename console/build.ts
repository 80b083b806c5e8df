import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the console's front end (console/web) into dist/console-web: app.js (Preact + uPlot,
 * minified), app.css and index.html. No CDN: the page loads nothing but these three files.
 * Run by `npm run build`, and by the console server on first start when the bundle is missing.
 */
export async function buildConsole(repoRoot: string): Promise<string> {
  const web = join(repoRoot, 'console', 'web');
  const out = join(repoRoot, 'dist', 'console-web');
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { app: join(web, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outdir: out,
    logLevel: 'warning',
    legalComments: 'none',
  });
  await copyFile(join(web, 'index.html'), join(out, 'index.html'));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  buildConsole(root).then(
    (out) => process.stdout.write(`console bundle: ${out}\n`),
    (err: unknown) => {
      process.stderr.write(`console build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
