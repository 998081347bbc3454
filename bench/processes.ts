// The benchmark's child processes: the fake Xiaomi, and the workers that run connectors. Each is a
// Node 22 process spoken to over IPC, one command and one answer at a time.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type {
  ConnectorName,
  FakeCommand,
  FakeReply,
  RunResult,
  Scope,
  WorkerCommand,
  WorkerReply,
} from './plan.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Where scripts/bench.mjs compiles the measured processes' entries (worker, import-time). */
export const compiled = (name: string) => path.join(root, '.cache', 'bench', 'js', `${name}.mjs`);

const startChild = async <Command, Reply extends { type: string }>(
  script: string,
  args: string[],
  execArgv: string[] = [],
  env: Record<string, string> = {},
) => {
  const child = spawn(process.execPath, [...execArgv, script, ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  child.on('message', (reply: Reply) => {
    const next = waiting.shift();
    if (reply.type === 'error') {
      next?.reject(
        new Error(`${path.basename(script)}: ${(reply as { message?: string }).message}`),
      );
    } else {
      next?.resolve(reply);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    for (const next of waiting.splice(0)) {
      next.reject(new Error(`${path.basename(script)} ${args.join(' ')} exited with ${code}`));
    }
  });
  const receive = () => new Promise<Reply>((resolve, reject) => waiting.push({ resolve, reject }));
  const ready = await receive();
  return {
    ready,
    ask: async (command: Command): Promise<Reply> => {
      const answer = receive();
      child.send(command as object);
      return answer;
    },
    exited,
  };
};

export type Fake = Awaited<ReturnType<typeof startFake>>;

/**
 * The fake Xiaomi, under tsx: it uses TypeScript syntax that Node's type stripping rejects. With
 * `--tls`, over HTTPS behind a proxy (fake-server.ts).
 */
export const startFake = async (args: string[] = []) => {
  const fake = await startChild<FakeCommand, FakeReply>(
    path.join(root, 'bench', 'fake-server.ts'),
    args,
    ['--import', 'tsx'],
  );
  const ready = fake.ready as FakeReply & { type: 'ready' };
  return {
    origin: ready.origin,
    proxyUrl: ready.proxyUrl,
    /** Fresh authorization codes for `scope`, as Xiaomi's consent page issues them. */
    mint: async (count: number, scope: Scope) =>
      ((await fake.ask({ type: 'mint', count, scope })) as FakeReply & { type: 'codes' }).codes,
    /** Delay added before each of Xiaomi's answers (minting is never delayed). */
    setLatency: async (ms: number) => {
      await fake.ask({ type: 'latency', ms });
    },
    /** Closes the fake's idle keep-alive connections: the connector's pool empties. */
    dropIdle: async () => {
      await fake.ask({ type: 'drop-idle' });
    },
    /** Faults and connection behaviour until the next call (networks.ts). */
    setNetwork: async (network: Omit<FakeCommand & { type: 'network' }, 'type'>) => {
      await fake.ask({ type: 'network', ...network });
    },
    /** Connector calls since the last mint, and how many came through the proxy. */
    stats: async () => (await fake.ask({ type: 'stats' })) as FakeReply & { type: 'stats' },
    close: async () => {
      await fake.ask({ type: 'close' });
      await fake.exited;
    },
  };
};

export type Worker = Awaited<ReturnType<typeof startWorker>>;

/**
 * A fresh process running one connector at one scope, as plain JavaScript; `origin` and `env` for
 * the fake over HTTPS, directly or through its proxy (networks.ts).
 */
export const startWorker = async (
  name: ConnectorName,
  scope: Scope,
  fake: Fake,
  libDirectory: string,
  execArgv: string[] = [],
  { origin = fake.origin, env = {} }: { origin?: string; env?: Record<string, string> } = {},
) => {
  const worker = await startChild<WorkerCommand, WorkerReply>(
    compiled('worker'),
    [name, scope, origin, libDirectory],
    ['--expose-gc', ...execArgv],
    env,
  );
  return {
    name,
    scope,
    /** Mints `signIns` codes, sets the fake's latency, then runs them through the connector. */
    run: async (cell: { concurrency: number; latencyMs: number; signIns: number }) => {
      await fake.setLatency(0);
      const codes = await fake.mint(cell.signIns, scope);
      await fake.setLatency(cell.latencyMs);
      const reply = await worker.ask({ type: 'run', codes, ...cell });
      return (reply as WorkerReply & { type: 'run' }).result satisfies RunResult;
    },
    /**
     * `signIns` sign-ins at concurrency 32, with the heap sampled every `sampleEvery`, each time
     * after the fake closed its idle connections, and heap snapshots at the first and last sample.
     */
    memory: async (signIns: number, sampleEvery: number) => {
      await fake.setLatency(0);
      const codes = await fake.mint(signIns, scope);
      const directory = path.join(root, '.cache', 'bench', 'snapshots');
      await mkdir(directory, { recursive: true });
      const snapshot = (moment: string) =>
        path.join(directory, `${name}-${scope.replaceAll(' ', '')}-${moment}.heapsnapshot`);
      const sample = async (
        done: number,
        snapshotTaken?: { file: string; when: 'before' | 'after' },
      ) => {
        await fake.dropIdle();
        const reply = await worker.ask({ type: 'sample', signIns: done, snapshot: snapshotTaken });
        return (reply as WorkerReply & { type: 'sample' }).sample;
      };
      const samples = [await sample(0, { file: snapshot('start'), when: 'before' })];
      for (let done = 0; done < codes.length; done += sampleEvery) {
        const batch = codes.slice(done, done + sampleEvery);
        await worker.ask({ type: 'run', codes: batch, concurrency: 32, latencyMs: 0 });
        const last = done + sampleEvery >= codes.length;
        samples.push(
          await sample(
            done + batch.length,
            last ? { file: snapshot('end'), when: 'after' } : undefined,
          ),
        );
      }
      const reply = await worker.ask({
        type: 'heap-growth',
        before: snapshot('start'),
        after: snapshot('end'),
      });
      return { samples, growth: (reply as WorkerReply & { type: 'heap-growth' }).growth };
    },
    /** Runs these codes, recording failures instead of stopping at one (networks.ts). */
    runTolerant: async (codes: string[], { concurrency = 1, pauseMs = 0 } = {}) => {
      const command = { type: 'run', codes, concurrency, latencyMs: 0, tolerant: true, pauseMs };
      const reply = await worker.ask(command as WorkerCommand);
      return (reply as WorkerReply & { type: 'run' }).result;
    },
    exit: async () => {
      // No answer comes: the worker exits, which rejects the question.
      await Promise.allSettled([worker.ask({ type: 'exit' })]);
      await worker.exited;
    },
  };
};
