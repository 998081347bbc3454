// The benchmark's orchestrator, run by scripts/bench.mjs under Node 22. It measures nothing itself:
// the fake Xiaomi runs in one process, each connector in others, and only the connector processes'
// own CPU and memory are counted.
//   node bench/main.ts <built lib/ directory> [--quick | --write]
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  cells,
  connectors,
  importSamples,
  memorySampleEvery,
  memorySignIns,
  memoryWarmUpSignIns,
  rounds,
  scopes,
  warmUpSignIns,
  type RunResult,
} from './plan.ts';
import { measureNetworks } from './networks.ts';
import { compiled, root, startFake, startWorker } from './processes.ts';
import { generated, writeReport } from './report.ts';
import { summarise, type Results } from './results.ts';
import { rewriteCostNs } from './route-official.ts';
import { evaluateTargets, formatVerdicts } from './targets.ts';

const [libDirectory = path.join(root, 'lib'), ...flags] = process.argv.slice(2);
/** A smoke run: the same steps with a tenth of the sign-ins; writes nothing. */
const quick = flags.includes('--quick');
/** The tracked docs change only when asked (`npm run bench -- --write`), and never for a smoke run. */
const printOnly = quick || !flags.includes('--write');
const scaled = (count: number) => (quick ? Math.max(20, Math.round(count / 10)) : count);

const log = (text: string) => process.stderr.write(`${text}\n`);
const benchStart = performance.now();
const elapsed = () => `${((performance.now() - benchStart) / 1000).toFixed(0).padStart(4)} s`;

const fake = await startFake();

const rows = scopes.flatMap((scope) => connectors.map((name) => ({ name, scope })));
const results: Results = {
  cells: [],
  memory: [],
  imports: [],
  memoryWarmUp: scaled(memoryWarmUpSignIns),
  rewriteCostNs: 0,
  machine: {},
};
const load = os.loadavg()[0]!.toFixed(1);

// 1. Latency, throughput and CPU. All four workers stay up; in each round every cell is measured
//    for every connector and scope back to back, the order flipping between rounds, so that the
//    machine's drift touches all of them alike.
log(`${elapsed()}  starting ${rows.length} workers on Node ${process.versions.node}`);
const workers = await Promise.all(
  rows.map((row) => startWorker(row.name, row.scope, fake, libDirectory)),
);
for (const worker of workers) {
  await worker.run({ concurrency: 8, latencyMs: 0, signIns: scaled(warmUpSignIns) });
}
const runs = new Map<string, RunResult[]>();
for (let round = 0; round < rounds; round++) {
  for (const cell of cells) {
    for (const worker of round % 2 ? [...workers].reverse() : workers) {
      const result = await worker.run({ ...cell, signIns: scaled(cell.signIns) });
      const key = `${worker.name}|${worker.scope}|${cell.concurrency}|${cell.latencyMs}`;
      runs.set(key, [...(runs.get(key) ?? []), result]);
      log(
        `${elapsed()}  round ${round + 1}  ${worker.name.padEnd(8)} scope ${worker.scope.padEnd(7)} ` +
          `c=${String(cell.concurrency).padEnd(2)} +${String(cell.latencyMs).padEnd(2)} ms: ` +
          `${Math.round(result.cpuUs / result.signIns)} µs CPU per sign-in, ` +
          `${((result.signIns / result.wallMs) * 1000).toFixed(0)}/s`,
      );
    }
  }
}
await Promise.all(workers.map(async (worker) => worker.exit()));
for (const cell of cells) {
  for (const row of rows) {
    const key = `${row.name}|${row.scope}|${cell.concurrency}|${cell.latencyMs}`;
    results.cells.push(summarise(row, runs.get(key)!));
  }
}

// 2. Memory: a fresh process per connector and scope, heap sampled after full collections.
for (const row of rows) {
  // V8 drops the bytecode of functions it has not run for a while (start-up code), at a moment
  // of its choosing: a one-off step down of a megabyte that would pass for a trend.
  const worker = await startWorker(row.name, row.scope, fake, libDirectory, [
    '--no-flush-bytecode',
  ]);
  await worker.run({ concurrency: 32, latencyMs: 0, signIns: scaled(memoryWarmUpSignIns) });
  const { samples, growth } = await worker.memory(scaled(memorySignIns), scaled(memorySampleEvery));
  results.memory.push({ ...row, samples, growth });
  await worker.exit();
  log(
    `${elapsed()}  ${row.name.padEnd(8)} scope ${row.scope.padEnd(7)} heap (MiB) every ` +
      `${scaled(memorySampleEvery)} sign-ins: ` +
      samples.map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(2)).join(' ') +
      `; snapshots: data ${growth.data} B, code ${growth.code} B (${growth.topData.join(', ')})`,
  );
}

// 3. Import time and first sign-in: a fresh process per sample, with and without what Logto has
//    loaded before it imports connectors, connectors alternating.
const importCodes = await fake.mint(scaled(importSamples) * connectors.length * 2, '1');
for (let sample = 0; sample < scaled(importSamples); sample++) {
  for (const host of [true, false]) {
    for (const name of sample % 2 === 0 ? connectors : [...connectors].reverse()) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          compiled('import-time'),
          name,
          '1',
          fake.origin,
          libDirectory,
          importCodes.pop()!,
          ...(host ? ['host'] : []),
        ],
        { cwd: root },
      );
      results.imports.push({
        name,
        host,
        ...(JSON.parse(stdout) as { importMs: number; firstSignInMs: number }),
      });
    }
  }
}
log(`${elapsed()}  import times measured`);

// 4. Real networks: broken answers, dropped connections, the outbound proxy, new connections.
results.networks = await measureNetworks(fake, libDirectory, scaled, log);
log(`${elapsed()}  real networks measured`);

await fake.close();

results.rewriteCostNs = rewriteCostNs();
const packageVersion = (file: string) =>
  (JSON.parse(readFileSync(path.join(root, file), 'utf8')) as { version: string }).version;
results.machine = {
  cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
  memory: `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB`,
  os: `${os.type()} ${os.release()} (${os.arch()})`,
  node: process.version,
  official: packageVersion('node_modules/@logto/connector-xiaomi/package.json'),
  ours: packageVersion('package.json'),
  ky: packageVersion('node_modules/ky/package.json'),
  connectorKit: packageVersion('node_modules/@logto/connector-kit/package.json'),
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  duration: elapsed().trim(),
  load,
};

// Kept for `npm run bench -- --render`, which rewrites the docs from them without measuring.
await writeFile(path.join(root, '.cache', 'bench', 'results.json'), JSON.stringify(results));
const verdicts = evaluateTargets(results);
console.log(formatVerdicts(verdicts));
if (printOnly) {
  console.log(`\n${generated(results, verdicts)}\n`);
  log('docs/benchmarks.md left unchanged (npm run bench -- --write updates it)');
} else {
  await writeReport(root, results, verdicts);
  log(`${elapsed()}  wrote docs/benchmarks.md and docs/benchmarks.svg`);
}
