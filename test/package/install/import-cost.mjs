// What this connector adds to Logto's start: Logto imports every installed connector at boot and
// calls its createConnector, so each of those costs every restart. Each figure is the time an
// `await import(...)` takes in a fresh Node 22 process (Logto's Node); each row is the median of
// several processes, rows interleaved so that machine noise spreads evenly.
//
//   npm run build && node test/package/install/import-cost.mjs [runs]
//
// Prints a markdown table (docs/import-cost.md holds the latest).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { node22 } from '../../../scripts/node22.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const runs = Number(process.argv[2] ?? 21);
const lib = path.join(root, 'lib');
if (!existsSync(path.join(lib, 'index.js'))) {
  throw new Error('lib/index.js is missing: run `npm run build` first.');
}

const url = (file) => pathToFileURL(file).href;

// Logto core has connector-kit and zod loaded before it imports any connector, so what a connector
// costs Logto is the time of its import once those are loaded (rows 3 to 5).
const hostLoaded = `await import('@logto/connector-kit'); await import('zod');`;
const scenarios = [
  {
    name: '`@logto/connector-kit` alone, in a fresh process',
    code: `await import('@logto/connector-kit');`,
  },
  {
    name: '`lib/index.js` alone, in a fresh process (pulls in connector-kit and zod)',
    code: `await import('${url(lib)}/index.js');`,
  },
  {
    name: '`lib/index.js`, connector-kit and zod already loaded',
    setup: hostLoaded,
    code: `await import('${url(lib)}/index.js');`,
  },
  {
    name: '`lib/index.js` + `createConnector()`, as Logto does at start',
    setup: hostLoaded,
    code: `const { default: create } = await import('${url(lib)}/index.js');
      await create({ getConfig: async () => { throw new Error('not at start'); } });`,
  },
  {
    name: 'official `@logto/connector-xiaomi`, connector-kit and zod already loaded',
    setup: hostLoaded,
    code: `await import('@logto/connector-xiaomi');`,
  },
  {
    name: 'the first sign-in’s imports: `node:http` and `node:https`, after `lib/index.js`',
    setup: `${hostLoaded} await import('${url(lib)}/index.js');`,
    code: `await import('node:http'); await import('node:https');`,
  },
];

const node = await node22();
const exec = promisify(execFile);
const measureOnce = async ({ setup = '', code }) => {
  const script = `${setup}
    const start = performance.now();
    ${code}
    const ms = performance.now() - start;
    console.log(JSON.stringify({ ms }));`;
  const { stdout } = await exec(node, ['--input-type=module', '-e', script], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1)).ms;
};

const samples = scenarios.map(() => []);
for (let run = 0; run < runs; run += 1) {
  for (const [index, scenario] of scenarios.entries()) {
    samples[index].push(await measureOnce(scenario));
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const format = (ms) => `${ms.toFixed(1)} ms`;

const { stdout: version } = await exec(node, ['--version']);
console.log(
  `Node ${version.trim()}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${runs} fresh processes per row (median; min–max)\n`,
);
console.log('| Import | Median | Min–max |');
console.log('| --- | --- | --- |');
for (const [index, { name }] of scenarios.entries()) {
  const values = samples[index];
  console.log(
    `| ${name} | ${format(median(values))} | ${format(Math.min(...values))}–${format(Math.max(...values))} |`,
  );
}
