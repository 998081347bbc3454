// One connector, one scope, in a fresh Node 22 process: the process whose CPU and memory are
// measured. scripts/bench.mjs compiles it to plain JavaScript (.cache/bench/js/worker.mjs):
//   node --expose-gc worker.mjs <official|ours> <scope> <fake origin> <built lib/ directory>
// Commands arrive over IPC from main.ts (WorkerCommand); codes are minted beforehand by the fake.
import { ConnectorError, type SocialUserInfo } from '@logto/connector-kit';

import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

import { loadFactory, signInWith } from './connectors.ts';
import { heapGrowth } from './heap-snapshot.ts';
import type { ConnectorName, RunResult, WorkerCommand, WorkerReply } from './plan.ts';

const [name, scope, fakeOrigin, libDirectory] = process.argv.slice(2) as [
  ConnectorName,
  string,
  string,
  string,
];

const signIn = await signInWith(await loadFactory(name, fakeOrigin, libDirectory), scope);

/** What Logto got from the last sign-in: the user info fields that were filled in. */
let fields: string[] = [];

const filledFields = (user: SocialUserInfo): string[] => [
  ...Object.keys(user).filter((key) => key !== 'rawData'),
  ...(user.rawData && typeof user.rawData === 'object' && 'openId' in user.rawData
    ? ['openId']
    : []),
];

type Drive = Pick<
  Extract<WorkerCommand, { type: 'run' }>,
  'codes' | 'concurrency' | 'tolerant' | 'pauseMs'
>;

/**
 * Runs every code through `signIn`, `concurrency` at a time; returns each sign-in's latency, and
 * the failures of a tolerant run (any other run stops at the first).
 */
const drive = async ({ codes, concurrency, tolerant, pauseMs }: Drive) => {
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
        if (!tolerant) throw error;
        failures.push(
          error instanceof ConnectorError
            ? { code: error.code, connectorError: true }
            : { connectorError: false },
        );
      }
      latencies[index] = performance.now() - start;
      if (pauseMs) await sleep(pauseMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  fields = last ? filledFields(last) : fields;
  return { latencies, failures };
};

const collectGarbage = (globalThis as { gc?: () => void }).gc;

const run = async (
  command: Extract<WorkerCommand, { type: 'run' }>,
): Promise<WorkerReply & { type: 'run' }> => {
  // The previous run's garbage is collected before, not during, this one.
  collectGarbage?.();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const { latencies, failures } = await drive(command);
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort();
  const result: RunResult = {
    concurrency: command.concurrency,
    latencyMs: command.latencyMs,
    signIns: command.codes.length,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    cpuSystemUs: cpu.system,
    latencies: [...latencies],
    fields,
    failures,
  };
  return { type: 'run', result };
};

const sampleMemory = async (
  command: Extract<WorkerCommand, { type: 'sample' }>,
): Promise<WorkerReply & { type: 'sample' }> => {
  if (!collectGarbage) {
    throw new Error('a memory sample needs --expose-gc');
  }
  // The connections the fake just closed are gone from the pool once their close events ran.
  await sleep(200);
  // Twice: the first full collection may leave finalizers whose targets the second one frees.
  collectGarbage();
  collectGarbage();
  // A snapshot leaves V8 bookkeeping behind: the first one is taken before its sample, so that
  // every sample includes it, and the last one after.
  if (command.snapshot?.when === 'before') writeHeapSnapshot(command.snapshot.file);
  const { heapUsed, rss } = process.memoryUsage();
  if (command.snapshot?.when === 'after') writeHeapSnapshot(command.snapshot.file);
  return { type: 'sample', sample: { signIns: command.signIns, heapUsed, rss } };
};

const reply = (message: WorkerReply) => process.send!(message);

process.on('message', (command: WorkerCommand) => {
  const answer = async (): Promise<WorkerReply | undefined> => {
    switch (command.type) {
      case 'run':
        return run(command);
      case 'sample':
        return sampleMemory(command);
      case 'heap-growth': {
        const growth = await heapGrowth(command.before, command.after);
        await Promise.all([rm(command.before), rm(command.after)]);
        return { type: 'heap-growth', growth };
      }
      case 'exit':
        // Keep-alive sockets would keep the process alive.
        process.exit(0);
    }
  };
  answer().then(
    (message) => message && reply(message),
    (error: unknown) =>
      reply({ type: 'error', message: error instanceof Error ? error.stack! : String(error) }),
  );
});

reply({ type: 'ready' });
