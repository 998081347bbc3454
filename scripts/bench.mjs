// npm run bench: this package against Logto's own @logto/connector-xiaomi, on Node 22 (the Node
// Logto runs on), against the fake Xiaomi over loopback. Prints the figures; only with --write does
// it rewrite the generated section of the tracked docs/benchmarks.md. See docs/benchmarks.md for
// what is measured and how.
//
//   npm run bench                   full run, about 5 minutes on 2 cores; prints only
//   npm run bench -- --write        the same, then rewrites docs/benchmarks.md
//   npm run bench -- --quick        a tenth of the sign-ins, prints only
//   npm run bench -- --profile      also --cpu-prof in each connector's process measuring the
//                                   grid: profiles in .cache/bench/profiles, for Chrome DevTools
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { build } from 'esbuild';

import { node22 } from './node22.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(root, '.cache', 'bench');
const args = process.argv.slice(2);

/** One build of lib/ at a time, should two benchmarks run in one checkout. */
const withBuildLock = async (task) => {
  const lock = path.join(root, '.cache', 'build.lock');
  await mkdir(path.dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (attempt > 600) await rm(lock, { recursive: true, force: true });
      await sleep(100);
    }
  }
  try {
    return await task();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
};

/**
 * The connector as it ships, built from the current sources and copied aside: other work in this
 * checkout may rebuild lib/ while the benchmark runs.
 */
const buildSnapshot = async () => {
  const snapshot = path.join(work, 'lib');
  await rm(snapshot, { recursive: true, force: true });
  await withBuildLock(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: root });
    await cp(path.join(root, 'lib'), snapshot, { recursive: true });
  });
  return snapshot;
};

await rm(path.join(work, 'js'), { recursive: true, force: true });
const [nodePath, libDirectory] = await Promise.all([
  node22(),
  buildSnapshot(),
  // The measured process (bench/worker.ts) as plain JavaScript; the harness it loads after timing
  // the connector's import (bench/connectors.ts) in a chunk of its own.
  build({
    entryPoints: ['bench/worker.ts'],
    outdir: path.join(work, 'js'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    logLevel: 'warning',
  }),
]);
const write = args.includes('--write') && !args.includes('--quick');
// Said first, so that nobody waits minutes to learn that a tracked file changed (or did not).
console.error(
  write
    ? 'npm run bench: will rewrite docs/benchmarks.md at the end'
    : 'npm run bench: prints the figures; docs/benchmarks.md stays as it is (add -- --write to update it)',
);
const child = spawn(nodePath, ['--import', 'tsx', 'bench/main.ts', libDirectory, ...args], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
