// `npm run bench -- --render`: rewrites docs/benchmarks.md and docs/benchmarks.svg from the last
// full run's results (.cache/bench/results.json), without measuring: for when the report's text
// or chart changed, not the code measured.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { root } from './processes.ts';
import { writeReport } from './report.ts';
import type { Results } from './results.ts';
import { evaluateTargets, formatVerdicts } from './targets.ts';

const saved = await readFile(path.join(root, '.cache', 'bench', 'results.json'), 'utf8').catch(
  () => {
    throw new Error('No results to render: run `npm run bench` first.');
  },
);
const results = JSON.parse(saved) as Results;
const verdicts = evaluateTargets(results);
console.log(formatVerdicts(verdicts));
await writeReport(root, results, verdicts);
console.log(
  `docs/benchmarks.md and docs/benchmarks.svg rewritten from the run of ${results.machine.date}`,
);
