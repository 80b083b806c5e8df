/**
 * `npm run sim:autoscaler`: every trace x every scaler on the same seeded traffic; prints the table and
 * checks the goals of issue 5. Writes nothing unless asked, so measuring leaves the checkout unchanged:
 *
 *   --write-docs  writes the results section of docs/autoscaling.md and docs/img/flash-spike.svg
 *   --check       exits 1 when those files differ from this run (simulation-docs.test.ts does the same)
 *
 * Flags: --seed N (42) --startup-min S (20) --startup-max S (60) --time-scale F (1). The docs are
 * generated with the defaults; --write-docs with other settings writes those settings into them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { consoleText, DOC_OPTIONS, docFiles, runSimulation, staleDocs, type SimOptions } from './report.js';

function options(): SimOptions & { writeDocs: boolean; check: boolean } {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(DOC_OPTIONS.seed) },
      'startup-min': { type: 'string', default: String(DOC_OPTIONS.startupMin) },
      'startup-max': { type: 'string', default: String(DOC_OPTIONS.startupMax) },
      'time-scale': { type: 'string', default: String(DOC_OPTIONS.timeScale) },
      'write-docs': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  return {
    seed: Number(values.seed),
    startupMin: Number(values['startup-min']),
    startupMax: Number(values['startup-max']),
    timeScale: Number(values['time-scale']),
    writeDocs: values['write-docs'],
    check: values.check,
  };
}

async function main(): Promise<void> {
  const o = options();
  const report = await runSimulation(o);
  console.log(consoleText(report));
  if (o.check) {
    const stale = await staleDocs(report);
    for (const path of stale) console.error(`${path} is stale: run npm run sim:autoscaler -- --write-docs`);
    process.exitCode = stale.length === 0 ? 0 : 1;
    return;
  }
  if (!o.writeDocs) return;
  for (const f of await docFiles(report)) {
    await mkdir(dirname(f.path), { recursive: true });
    await writeFile(f.path, f.text);
    console.log(`wrote ${f.path}`);
  }
}

await main();
