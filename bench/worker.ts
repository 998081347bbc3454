// One connector at one scope, in the process whose import time, CPU and heap are measured: both
// process.cpuUsage() and the heap belong to a whole process, and an import is only cold in one that
// has loaded nothing else. main.ts compiles it to plain JavaScript: no type stripping (which leaves
// megabytes on the heap), no loader hooks.
//   node --expose-gc .cache/bench/js/worker.js <official|ours|floor> <scope> <fake origin> [host]
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

import type { ConnectorName } from './connectors.ts';

const [name, scope, fakeOrigin, host] = process.argv.slice(2) as [ConnectorName, ...string[]];
/** The copy of lib/ main.ts made beside this script's directory. */
const lib = new URL('../lib/', import.meta.url).href;

// What Logto's core has loaded before it imports any connector, and both packages import.
if (host === 'host') {
  await import('@logto/connector-kit');
  await import('zod');
}
// The floor (floor.ts) is no package: its figures are the sign-in's, never the import's.
const connector = {
  official: () => import.meta.resolve('@logto/connector-xiaomi'),
  ours: () => `${lib}index.js`,
  floor: () => 'node:http',
}[name]();
const importStart = performance.now();
await import(connector);
const importMs = performance.now() - importStart;

const { ConnectorError, signInWith } = await import('./connectors.ts');
const setupStart = performance.now();
const signIn = await signInWith(name, scope!, fakeOrigin!, lib);
/** Creating the connector and Logto around it (the official: undici's first load too). */
const setupMs = performance.now() - setupStart;

const collectGarbage = (globalThis as { gc?: () => void }).gc!;
let fields: string[] = [];

export type Run = { codes: string[]; concurrency: number; pauseMs: number };
/** Heap snapshots to write before and after the sample is read, if any. */
export type Sample = { before: string; after: string };

/** The codes, `concurrency` lanes at a time, each lane pausing `pauseMs` after each sign-in. */
const run = async ({ codes, concurrency, pauseMs }: Run) => {
  // The previous run's garbage is collected before, not during, this one.
  collectGarbage();
  const latencies = new Float64Array(codes.length);
  /** Failed sign-ins by ConnectorError code. */
  const failures: Record<string, number> = {};
  let next = 0;
  let last: Awaited<ReturnType<typeof signIn>> | undefined;
  const lane = async () => {
    while (next < codes.length) {
      const index = next++;
      const start = performance.now();
      try {
        last = await signIn(codes[index]!);
      } catch (error: unknown) {
        const code = error instanceof ConnectorError ? error.code : 'not a ConnectorError';
        failures[code] = (failures[code] ?? 0) + 1;
      }
      latencies[index] = performance.now() - start;
      if (pauseMs) await sleep(pauseMs);
    }
  };
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - start;
  // All threads of this process (GC included), user + system.
  const cpu = process.cpuUsage(cpuBefore);
  if (last) {
    const { rawData, ...filled } = last;
    fields = [...Object.keys(filled), ...('openId' in Object(rawData) ? ['openId'] : [])];
  }
  return {
    signIns: codes.length,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    systemUs: cpu.system,
    /** Sorted, in milliseconds. */
    latencies: [...latencies.sort()],
    /** The user info fields the connector filled in. */
    fields,
    failures,
    failed: Object.values(failures).reduce((sum, count) => sum + count, 0),
  };
};
export type RunResult = Awaited<ReturnType<typeof run>>;

const sample = async ({ before, after }: Sample) => {
  // The connections the fake just closed are gone from the pool once their close events ran.
  await sleep(200);
  // Twice: the first full collection may leave finalizers whose targets the second one frees.
  collectGarbage();
  collectGarbage();
  // A snapshot leaves V8 bookkeeping behind: the first one is taken before its sample, so that
  // every sample includes it, and the last one after.
  if (before) writeHeapSnapshot(before);
  const { heapUsed, rss } = process.memoryUsage();
  if (after) writeHeapSnapshot(after);
  return { heapUsed, rss };
};

process.on('message', (message: Run | Sample) => {
  ('codes' in message ? run(message) : sample(message)).then(
    (answer) => process.send!(answer),
    (error: unknown) => process.send!({ error: String(error) }),
  );
});
// main.ts lets go of a worker by disconnecting; keep-alive sockets would keep it alive.
process.on('disconnect', () => process.exit(0));
process.send!({ importMs, setupMs });
