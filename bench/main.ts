// The benchmark's orchestrator, run by scripts/bench.mjs under Node 22 with tsx (the fake uses
// TypeScript syntax Node's type stripping rejects). It hosts the fake Xiaomi and measures nothing
// itself: each connector runs in worker processes (worker.ts), and only their own CPU and memory
// are counted.
//   node --import tsx bench/main.ts <built lib/ directory> [--quick] [--write] [--profile]
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
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
  type MemoryRun,
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

/**
 * What a heap snapshot holds, in bytes: JavaScript data (objects, arrays, strings, closures...)
 * and compiled code (bytecode, machine code and their metadata). V8's own bookkeeping (hidden,
 * synthetic, object shapes) is neither.
 */
const heapKinds = async (file: string) => {
  const { snapshot, nodes } = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
  };
  const fields = snapshot.meta.node_fields;
  const [types] = snapshot.meta.node_types;
  const [typeField, sizeField] = [fields.indexOf('type'), fields.indexOf('self_size')];
  const kinds = { data: 0, code: 0 };
  for (let index = 0; index < nodes.length; index += fields.length) {
    const type = types[nodes[index + typeField]!]!;
    const size = nodes[index + sizeField]!;
    if (type === 'code') kinds.code += size;
    else if (!['hidden', 'synthetic', 'object shape'].includes(type)) kinds.data += size;
  }
  return kinds;
};

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
/** Each cell's runs, by worker. */
const runs = cells.map(() => workers.map((): RunResult[] => []));
for (let round = 0; round < rounds; round++) {
  for (const [index, cell] of cells.entries()) {
    for (const worker of round % 2 ? [...workers].reverse() : workers) {
      const result = await runCell(worker, { ...cell, signIns: scaled(cell.signIns) });
      runs[index]![workers.indexOf(worker)]!.push(result);
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
  cells: cells.flatMap(({ concurrency, latencyMs }, index) =>
    rows.map((row, worker) => summarise(row, { concurrency, latencyMs }, runs[index]![worker]!)),
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
//    sample, so how many sockets it happened to hold does not pass for growth. heapUsed also
//    holds what V8 compiles and learns while it optimises, growing ~30 B per sign-in long after
//    warm-up, and subtracting the code spaces (v8.getHeapSpaceStatistics) or the code statistics
//    leaves ~25 B of it: feedback and shapes sit among the objects. Only a heap snapshot tells
//    them apart, so the verdict is on snapshots at the first and last samples.
const snapshots = path.join(root, '.cache', 'bench', 'snapshots');
await mkdir(snapshots, { recursive: true });
for (const row of rows) {
  // V8 drops the bytecode of functions it has not run for a while (start-up code), at a moment
  // of its choosing: a one-off step down of a megabyte that would pass for a trend.
  const worker = await startWorker(row.name, row.scope, fake, libDirectory, {
    execArgv: ['--no-flush-bytecode'],
  });
  await runCell(worker, { concurrency: 32, latencyMs: 0, signIns: scaled(memoryWarmUpSignIns) });
  const codes = await fake.mint(scaled(memorySignIns), row.scope);
  const [before, after] = ['start', 'end'].map((moment) =>
    path.join(snapshots, `${row.name}-${row.scope.replaceAll(' ', '')}-${moment}.heapsnapshot`),
  ) as [string, string];
  const samples: MemoryRun['samples'] = [];
  for (let done = 0; ; done += scaled(memorySampleEvery)) {
    const last = done >= codes.length;
    fake.fake.closeIdleConnections();
    const sample = await worker.sample({
      snapshotBefore: done === 0 ? before : undefined,
      snapshotAfter: last ? after : undefined,
    });
    samples.push({ signIns: done, ...sample });
    if (last) break;
    await worker.run(codes.slice(done, done + scaled(memorySampleEvery)), { concurrency: 32 });
  }
  await worker.exit();
  const [start, end] = [await heapKinds(before), await heapKinds(after)];
  await Promise.all([rm(before), rm(after)]);
  const growth = { data: end.data - start.data, code: end.code - start.code };
  results.memory.push({ ...row, samples, ...growth });
  log(
    `${elapsed()}  ${row.name.padEnd(8)} scope ${row.scope.padEnd(7)} heap (MiB) every ` +
      `${scaled(memorySampleEvery)} sign-ins: ` +
      samples.map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(2)).join(' ') +
      `; snapshots: data ${growth.data} B, code ${growth.code} B`,
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
