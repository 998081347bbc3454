// What the benchmark measures, and the messages its processes exchange. Shared by the orchestrator
// (main.ts), the fake Xiaomi's process (fake-server.ts) and the measured workers (worker.ts).
import type { Connections, Faults } from '../fake-xiaomi/index.ts';

export const connectors = ['official', 'ours'] as const;
export type ConnectorName = (typeof connectors)[number];

export const connectorLabels: Record<ConnectorName, string> = {
  official: '@logto/connector-xiaomi',
  ours: 'connector-xiaomi',
};

/** Scope `1` is all the official connector fetches; `1 3 4 6` is this package's full profile. */
export const scopes = ['1', '1 3 4 6'] as const;
export type Scope = (typeof scopes)[number];

export const benchApp = { clientId: '2882303761520000001', clientSecret: 'bench-secret-5Jx9' };
export const redirectUri = 'https://logto.bench.local/callback/xiaomi';

export type Cell = { concurrency: number; latencyMs: number };

/**
 * The throughput and latency grid, each cell with its sign-ins per round. Every cell is measured
 * in `rounds` rounds, the connectors taking turns within each round.
 */
export const cells: (Cell & { signIns: number })[] = [
  { concurrency: 1, latencyMs: 0, signIns: 800 },
  { concurrency: 32, latencyMs: 0, signIns: 1600 },
  { concurrency: 1, latencyMs: 50, signIns: 40 },
  { concurrency: 32, latencyMs: 50, signIns: 800 },
];
export const rounds = 3;

/** Sign-ins run before the first measurement: JIT tiers, connection pools, lazy imports. */
export const warmUpSignIns = 2000;
/** Before the memory baseline: long enough for V8 to have compiled what sign-ins run. */
export const memoryWarmUpSignIns = 3000;
export const memorySignIns = 10_000;
export const memorySampleEvery = 1000;
export const importSamples = 21;

export type FakeCommand =
  | { type: 'mint'; count: number; scope: Scope }
  | { type: 'latency'; ms: number }
  /** Faults and connection behaviour for the next runs (networks.ts); minting is spared. */
  | { type: 'network'; faults: Partial<Faults>; connections: Partial<Connections> }
  /** Connector calls since the last mint, and how many came through the proxy. */
  | { type: 'stats' }
  /** Closes the fake's idle keep-alive connections. */
  | { type: 'drop-idle' }
  | { type: 'close' };

export type FakeReply =
  /** `proxyUrl` with `--tls`: the fake then serves HTTPS under a name only that proxy resolves. */
  | { type: 'ready'; origin: string; proxyUrl?: string }
  | { type: 'codes'; codes: string[] }
  | { type: 'stats'; calls: number; throughProxy: number }
  | { type: 'ok' }
  | { type: 'error'; message: string };

export type WorkerCommand =
  /**
   * `tolerant`: a failed sign-in is recorded, not fatal (networks.ts). `pauseMs`: a pause after
   * each sign-in, at concurrency 1.
   */
  | ({ type: 'run'; codes: string[]; tolerant?: boolean; pauseMs?: number } & Cell)
  /** Heap after full collections; with `snapshot`, a heap snapshot written to that file too. */
  | {
      type: 'sample';
      signIns: number;
      snapshot?: { file: string; when: 'before' | 'after' };
    }
  | { type: 'heap-growth'; before: string; after: string }
  | { type: 'exit' };

export type RunResult = Cell & {
  signIns: number;
  wallMs: number;
  /** process.cpuUsage() of the worker: its own CPU, all threads (GC included), user + system. */
  cpuUs: number;
  /** The part of cpuUs spent in the kernel: sockets, mostly. */
  cpuSystemUs: number;
  /** Each sign-in's latency, in milliseconds, sorted. */
  latencies: number[];
  /** The user info fields the connector filled in. */
  fields: string[];
  /** Failed sign-ins of a tolerant run: the ConnectorError code, or not a ConnectorError. */
  failures: { code?: string; connectorError: boolean }[];
};

export type MemorySample = { signIns: number; heapUsed: number; rss: number };

/** Bytes gained between heap snapshots at the first and last sample (see heap-snapshot.ts). */
export type HeapGrowth = { data: number; code: number; internal: number; topData: string[] };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'run'; result: RunResult }
  | { type: 'sample'; sample: MemorySample }
  | { type: 'heap-growth'; growth: HeapGrowth }
  | { type: 'error'; message: string };
