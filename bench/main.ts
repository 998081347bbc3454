// The benchmark's orchestrator, run by scripts/bench.mjs under Node 22 with tsx. It hosts the fake
// Xiaomi and measures nothing itself: each connector runs in worker processes (worker.ts), and
// only their own CPU and memory are counted.
//   node --import tsx bench/main.ts <built lib/ directory> [--quick] [--write] [--profile]
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { connectors, scopes } from './connectors.ts';
import { root, startFake, startWorker, type Worker } from './harness.ts';
import { measureNetworks } from './networks.ts';
import {
  evaluateTargets,
  formatVerdicts,
  generated,
  summarise,
  writeReport,
  type Cell,
  type Results,
} from './report.ts';
import { rewriteCostNs } from './route-official.ts';
import type { RunResult } from './worker.ts';

/**
 * The throughput and latency grid, each cell with its sign-ins per round. Every cell is measured
 * in `rounds` rounds, the connectors taking turns within each round.
 */
const cells: (Cell & { signIns: number })[] = [
  { concurrency: 1, latencyMs: 0, signIns: 800 },
  { concurrency: 32, latencyMs: 0, signIns: 1600 },
  { concurrency: 1, latencyMs: 50, signIns: 40 },
  { concurrency: 32, latencyMs: 50, signIns: 800 },
];
const rounds = 3;
/** Sign-ins run before the first measurement: JIT tiers, connection pools, lazy imports. */
const warmUpSignIns = 2000;
/** Before the memory baseline: long enough for V8 to have compiled what sign-ins run. */
const memoryWarmUpSignIns = 3000;
const memorySignIns = 10_000;
const memorySampleEvery = 1000;
const importSamples = 21;

const [libDirectory = path.join(root, 'lib'), ...flags] = process.argv.slice(2);
/** A smoke run: the same steps with a tenth of the sign-ins; writes nothing. */
const quick = flags.includes('--quick');
const write = flags.includes('--write') && !quick;
const scaled = (count: number) => (quick ? Math.max(20, Math.round(count / 10)) : count);
/** `--cpu-prof` in the grid's workers, for Chrome DevTools (Performance > Load profile). */
const profiles = flags.includes('--profile') ? path.join(root, '.cache', 'bench', 'profiles') : '';

const log = (text: string) => process.stderr.write(`${text}\n`);
const benchStart = performance.now();
const elapsed = () => `${((performance.now() - benchStart) / 1000).toFixed(0).padStart(4)} s`;
const load = os.loadavg()[0]!.toFixed(1);

const fake = await startFake();
const rows = scopes.flatMap((scope) => connectors.map((name) => ({ name, scope })));

/** Mints the codes, then runs them with the fake's latency set. */
const runCell = async (
  worker: Worker,
  { latencyMs, signIns, concurrency }: (typeof cells)[number],
) => {
  const codes = await fake.mint(signIns, worker.scope);
  fake.fake.setFaults({ latencyMs });
  const result = await worker.run(codes, { concurrency });
  fake.fake.setFaults({});
  return result;
};

// 1. Latency, throughput and CPU. All four workers stay up; in each round every cell is measured
//    for every connector and scope back to back, the order flipping between rounds, so that the
//    machine's drift touches all of them alike.
log(`${elapsed()}  starting ${rows.length} workers on Node ${process.versions.node}`);
if (profiles) await mkdir(profiles, { recursive: true });
const workers = await Promise.all(
  rows.map(({ name, scope }) =>
    startWorker(name, scope, fake, libDirectory, {
      execArgv: profiles
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${profiles}`,
            `--cpu-prof-name=${name}-${scope.replaceAll(' ', '')}.cpuprofile`,
          ]
        : [],
    }),
  ),
);
for (const worker of workers) {
  await runCell(worker, { concurrency: 8, latencyMs: 0, signIns: scaled(warmUpSignIns) });
}
const runs = new Map<string, RunResult[]>();
const keyOf = (row: { name: string; scope: string }, cell: Cell) =>
  `${row.name}|${row.scope}|${cell.concurrency}|${cell.latencyMs}`;
for (let round = 0; round < rounds; round++) {
  for (const cell of cells) {
    for (const worker of round % 2 ? [...workers].reverse() : workers) {
      const result = await runCell(worker, { ...cell, signIns: scaled(cell.signIns) });
      runs.set(keyOf(worker, cell), [...(runs.get(keyOf(worker, cell)) ?? []), result]);
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
const results: Results = {
  cells: cells.flatMap(({ concurrency, latencyMs }) =>
    rows.map((row) =>
      summarise(row, { concurrency, latencyMs }, runs.get(keyOf(row, { concurrency, latencyMs }))!),
    ),
  ),
  memory: [],
  memoryWarmUp: scaled(memoryWarmUpSignIns),
  imports: [],
  networks: { rows: [], coldStarts: [] },
  rewriteCostNs: rewriteCostNs(),
  machine: {},
};

// 2. Memory: a fresh process per connector and scope, heap sampled after full collections, each
//    time after the fake closed its idle connections: the connector's pool is empty at every
//    sample, so how many sockets it happened to hold does not pass for growth.
for (const row of rows) {
  // V8 drops the bytecode of functions it has not run for a while (start-up code), at a moment
  // of its choosing: a one-off step down of a megabyte that would pass for a trend.
  const worker = await startWorker(row.name, row.scope, fake, libDirectory, {
    execArgv: ['--no-flush-bytecode'],
  });
  await runCell(worker, { concurrency: 32, latencyMs: 0, signIns: scaled(memoryWarmUpSignIns) });
  const codes = await fake.mint(scaled(memorySignIns), row.scope);
  const samples: Results['memory'][number]['samples'] = [];
  for (let done = 0; ; done += scaled(memorySampleEvery)) {
    fake.fake.closeIdleConnections();
    samples.push({ signIns: done, ...(await worker.sample()) });
    if (done >= codes.length) break;
    await worker.run(codes.slice(done, done + scaled(memorySampleEvery)), { concurrency: 32 });
  }
  await worker.exit();
  results.memory.push({ ...row, samples });
  const [first, last] = [samples[0]!, samples.at(-1)!];
  log(
    `${elapsed()}  ${row.name.padEnd(8)} scope ${row.scope.padEnd(7)} heap (MiB) every ` +
      `${scaled(memorySampleEvery)} sign-ins: ` +
      samples.map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(2)).join(' ') +
      `; data ${last.heapUsed - last.code - (first.heapUsed - first.code)} B, ` +
      `code ${last.code - first.code} B`,
  );
}

// 3. Import time and first sign-in: a fresh process per sample, with and without what Logto has
//    loaded before it imports connectors, connectors alternating.
for (let sample = 0; sample < scaled(importSamples); sample++) {
  for (const host of [true, false]) {
    for (const name of sample % 2 === 0 ? connectors : [...connectors].reverse()) {
      const [code] = await fake.mint(1, '1');
      const worker = await startWorker(name, '1', fake, libDirectory, { host });
      const { latencies } = await worker.run([code!]);
      await worker.exit();
      results.imports.push({
        name,
        host,
        importMs: worker.ready.importMs,
        firstSignInMs: worker.ready.setupMs + latencies[0]!,
      });
    }
  }
}
log(`${elapsed()}  import times measured`);

// 4. Real networks: broken answers, dropped connections, the outbound proxy, new connections.
results.networks = await measureNetworks(fake, libDirectory, scaled, log);
log(`${elapsed()}  real networks measured`);
await fake.close();

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

const verdicts = evaluateTargets(results);
console.log(formatVerdicts(verdicts));
if (write) {
  await writeReport(root, generated(results, verdicts));
  log(`${elapsed()}  wrote docs/benchmarks.md`);
} else {
  console.log(`\n${generated(results, verdicts)}\n`);
  log('docs/benchmarks.md left unchanged (npm run bench -- --write updates it)');
}
