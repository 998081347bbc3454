// npm run bench: this package against Logto's own @logto/connector-xiaomi, on Node 22 (the Node
// Logto runs on), against the fake Xiaomi over loopback. Prints the figures; only with --write does
// it rewrite the tracked docs/benchmarks.md and docs/benchmarks.svg. See docs/benchmarks.md for
// what is measured and how.
//
//   npm run bench                       full run, about 5 minutes on 2 cores; prints only
//   npm run bench -- --write            the same, then rewrites docs/benchmarks.md and .svg
//   npm run bench -- --quick            a tenth of the sign-ins, prints only
//   npm run bench -- --profile          --cpu-prof of every connector, summary printed,
//                                       profiles in .cache/bench/profiles
//   npm run bench -- --patch <file>     benchmarks src/ with <file> (a git diff) applied, prints
//                                       only: for trying an optimisation before making it
//   npm run bench -- --render           rewrites the docs from the last full run, measuring nothing
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { node22 } from './node22.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(root, '.cache', 'bench');
const args = process.argv.slice(2);
const patchIndex = args.indexOf('--patch');
const patch = patchIndex >= 0 ? path.resolve(args[patchIndex + 1] ?? '') : undefined;

const run = (command, commandArgs, cwd = root) =>
  promisify(execFile)(command, commandArgs, { cwd, maxBuffer: 1 << 24 });

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
    await run(process.execPath, ['scripts/build.mjs']);
    await cp(path.join(root, 'lib'), snapshot, { recursive: true });
  });
  return snapshot;
};

/** src/ and the build script copied aside, the patch applied, built there. */
const buildPatched = async (file) => {
  const variant = path.join(work, 'patched');
  await rm(variant, { recursive: true, force: true });
  await mkdir(path.join(variant, 'scripts'), { recursive: true });
  await cp(path.join(root, 'src'), path.join(variant, 'src'), { recursive: true });
  await cp(path.join(root, 'scripts', 'build.mjs'), path.join(variant, 'scripts', 'build.mjs'));
  await run('git', ['apply', `--directory=${path.relative(root, variant)}`, file]);
  await run(process.execPath, ['scripts/build.mjs'], variant);
  console.error(`benchmarking src/ with ${path.relative(root, file)} applied`);
  return path.join(variant, 'lib');
};

/**
 * The measured processes run plain JavaScript: no type stripping (which leaves megabytes on the
 * heap) and no loader hooks in a process whose CPU, memory or import time is taken.
 */
const compileMeasuredProcesses = async () => {
  const { build } = await import('esbuild');
  await build({
    entryPoints: ['bench/worker.ts', 'bench/import-time.ts'],
    outdir: path.join(work, 'js'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    logLevel: 'warning',
  });
};

/** The script to run under Node 22, with its arguments; the connector built first if measured. */
const command = async () => {
  if (args.includes('--render')) return ['bench/render.ts'];
  await mkdir(work, { recursive: true });
  const [libDirectory] = await Promise.all([
    patch ? buildPatched(patch) : buildSnapshot(),
    compileMeasuredProcesses(),
  ]);
  const entryArgs = [libDirectory];
  if (args.includes('--quick')) entryArgs.push('--quick');
  // A patched build is not the package: it never overwrites the published figures.
  if (args.includes('--write') && !patch) entryArgs.push('--write');
  return [args.includes('--profile') ? 'bench/profile.ts' : 'bench/main.ts', ...entryArgs];
};

const [nodePath, commandLine] = await Promise.all([node22(), command()]);
// Said first, so that nobody waits minutes to learn that tracked files changed (or did not).
if (commandLine[0] === 'bench/main.ts') {
  console.error(
    commandLine.includes('--write') && !commandLine.includes('--quick')
      ? 'npm run bench: will rewrite docs/benchmarks.md and docs/benchmarks.svg at the end'
      : 'npm run bench: prints the figures; docs/benchmarks.md and .svg stay as they are (add -- --write to update them)',
  );
}
const child = spawn(nodePath, commandLine, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
