// One connector at one scope in a fresh Node 22 process: the process whose import time, CPU and
// heap are measured, which is why it is one. process.cpuUsage() and the heap belong to a whole
// process, so neither the fake Xiaomi (in main.ts) nor the other connector may share it, and an
// import is only cold in a process that has loaded nothing else. scripts/bench.mjs compiles it to
// plain JavaScript: no type stripping (which leaves megabytes on the heap) and no loader hooks.
//   node --expose-gc worker.mjs <official|ours> <scope> <fake origin> <built lib/ directory> [host]
// It times the import of the connector first, then answers main.ts's messages (WorkerMessage).
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';

import type { SocialUserInfo } from '@logto/connector-kit';

import type { ConnectorName } from './connectors.ts';

export type WorkerMessage =
  /** Runs the codes `concurrency` at a time, with a pause after each sign-in in each lane. */
  | { type: 'run'; codes: string[]; concurrency: number; pauseMs?: number }
  /** The heap after full collections; heap snapshots written before or after it is read. */
  | { type: 'sample'; snapshotBefore?: string; snapshotAfter?: string };

export type Ready = {
  type: 'ready';
  /** `await import()` of the package's `lib/index.js`. */
  importMs: number;
  /** Then creating the connector and Logto around it (the official: undici's first load too). */
  setupMs: number;
};

export type RunResult = {
  signIns: number;
  wallMs: number;
  /** process.cpuUsage() of this process: all threads (GC included), user + system. */
  cpuUs: number;
  /** The part of cpuUs spent in the kernel: sockets, mostly. */
  cpuSystemUs: number;
  /** Each sign-in's latency, in milliseconds, sorted. */
  latencies: number[];
  /** The user info fields the connector filled in. */
  fields: string[];
  /** Failed sign-ins: the ConnectorError code, or none when Logto got something else. */
  failures: { code?: string }[];
};

export type MemorySample = { heapUsed: number; rss: number };

const [name, scope, fakeOrigin, libDirectory, preload] = process.argv.slice(2) as [
  ConnectorName,
  string,
  string,
  string,
  string | undefined,
];

// What Logto's core has loaded before it imports any connector, and both packages import.
if (preload === 'host') {
  await import('@logto/connector-kit');
  await import('zod');
}
const importStart = performance.now();
await import(
  name === 'official'
    ? import.meta.resolve('@logto/connector-xiaomi')
    : pathToFileURL(path.join(libDirectory, 'index.js')).href
);
const importMs = performance.now() - importStart;

const { ConnectorError, signInWith } = await import('./connectors.ts');
const setupStart = performance.now();
const signIn = await signInWith(name, scope, fakeOrigin, libDirectory);
const setupMs = performance.now() - setupStart;

const collectGarbage = (globalThis as { gc?: () => void }).gc!;
/** What Logto got from the last sign-in: the user info fields that were filled in. */
let fields: string[] = [];

const run = async ({ codes, concurrency, pauseMs = 0 }: WorkerMessage & { type: 'run' }) => {
  // The previous run's garbage is collected before, not during, this one.
  collectGarbage();
  const latencies = new Float64Array(codes.length);
  const failures: RunResult['failures'] = [];
  let next = 0;
  let last: SocialUserInfo | undefined;
  const lane = async () => {
    while (next < codes.length) {
      const index = next++;
      const start = performance.now();
      try {
        last = await signIn(codes[index]!);
      } catch (error: unknown) {
        failures.push(error instanceof ConnectorError ? { code: error.code } : {});
      }
      latencies[index] = performance.now() - start;
      if (pauseMs) await sleep(pauseMs);
    }
  };
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  if (last) {
    fields = Object.keys(last).filter((key) => key !== 'rawData');
    if (last.rawData && typeof last.rawData === 'object' && 'openId' in last.rawData) {
      fields.push('openId');
    }
  }
  return {
    signIns: codes.length,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    cpuSystemUs: cpu.system,
    latencies: [...latencies.sort()],
    fields,
    failures,
  } satisfies RunResult;
};

const sample = async ({ snapshotBefore, snapshotAfter }: WorkerMessage & { type: 'sample' }) => {
  // The connections the fake just closed are gone from the pool once their close events ran.
  await sleep(200);
  // Twice: the first full collection may leave finalizers whose targets the second one frees.
  collectGarbage();
  collectGarbage();
  // A snapshot leaves V8 bookkeeping behind: the first one is taken before its sample, so that
  // every sample includes it, and the last one after.
  if (snapshotBefore) writeHeapSnapshot(snapshotBefore);
  const { heapUsed, rss } = process.memoryUsage();
  if (snapshotAfter) writeHeapSnapshot(snapshotAfter);
  return { heapUsed, rss } satisfies MemorySample;
};

process.on('message', (message: WorkerMessage) => {
  (message.type === 'run' ? run(message) : sample(message)).then(
    (answer) => process.send!(answer),
    (error: unknown) => process.send!({ type: 'error', message: String(error) }),
  );
});
// main.ts lets go of a worker by disconnecting; keep-alive sockets would keep it alive.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', importMs, setupMs } satisfies Ready);
