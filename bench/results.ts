// The benchmark's results, as the orchestrator gathers them, and the figures derived from them.
import type { NetworkResults } from './networks.ts';
import type { Cell, ConnectorName, HeapGrowth, MemorySample, RunResult, Scope } from './plan.ts';

export type Row = { name: ConnectorName; scope: Scope };

/** One cell of the grid for one connector and scope, over all rounds. */
export type CellSummary = Row &
  Cell & {
    rounds: number;
    signIns: number;
    /** Median over rounds of each round's CPU per sign-in, in microseconds. */
    cpuUs: number;
    cpuUsByRound: number[];
    systemUs: number;
    /** Percentiles of every sign-in of every round. */
    p50Ms: number;
    p99Ms: number;
    /** Median over rounds. */
    perSecond: number;
    fields: string[];
  };

export type ImportSample = {
  name: ConnectorName;
  /** Whether connector-kit and zod were loaded first, as in Logto (see import-time.ts). */
  host: boolean;
  importMs: number;
  firstSignInMs: number;
};

export type Results = {
  cells: CellSummary[];
  memory: (Row & { samples: MemorySample[]; growth: HeapGrowth })[];
  imports: ImportSample[];
  /** Sign-ins each memory process ran before its first sample. */
  memoryWarmUp: number;
  /** What routing the official to the fake adds to each of its requests. */
  rewriteCostNs: number;
  /** Runs from before networks.ts have none. */
  networks?: NetworkResults;
  machine: Record<string, string>;
};

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export const summarise = (row: Row, runs: RunResult[]): CellSummary => {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const cpuUsByRound = runs.map((run) => run.cpuUs / run.signIns);
  return {
    ...row,
    concurrency: runs[0]!.concurrency,
    latencyMs: runs[0]!.latencyMs,
    rounds: runs.length,
    signIns: runs.reduce((sum, run) => sum + run.signIns, 0),
    cpuUs: median(cpuUsByRound),
    cpuUsByRound,
    systemUs: median(runs.map((run) => run.cpuSystemUs / run.signIns)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    perSecond: median(runs.map((run) => (run.signIns / run.wallMs) * 1000)),
    fields: runs.at(-1)!.fields,
  };
};

export const findCell = (results: Results, row: Row, cell: Cell): CellSummary =>
  results.cells.find(
    (candidate) =>
      candidate.name === row.name &&
      candidate.scope === row.scope &&
      candidate.concurrency === cell.concurrency &&
      candidate.latencyMs === cell.latencyMs,
  )!;

export const importsOf = (results: Results, name: ConnectorName, host: boolean) =>
  results.imports.filter((sample) => sample.name === name && sample.host === host);

export const medianImportMs = (results: Results, name: ConnectorName, host: boolean) =>
  median(importsOf(results, name, host).map((sample) => sample.importMs));

/**
 * A connector is flat when the JavaScript data it keeps grows by less than this per sign-in after
 * warm-up: 40 kB over 10,000 sign-ins. The least a sign-in could leave behind, one empty object,
 * is 12 to 16 bytes. Below this, Node's own timer lists and queues, which hold whatever the last
 * requests left pending when the snapshot is taken, vary by up to about 10 kB. Idle connections
 * are closed before each sample, so the pool's size does not count.
 */
export const flatBytesPerSignIn = 4;

/** Data retained per sign-in between the first and last memory samples (heap snapshots). */
export const retainedPerSignIn = (results: Results, row: Row): number => {
  const memory = results.memory.find(
    (candidate) => candidate.name === row.name && candidate.scope === row.scope,
  )!;
  return memory.growth.data / memory.samples.at(-1)!.signIns;
};
/** The first fifth of the memory run (2,000 of 10,000 sign-ins) counts as warm-up. */
export const memoryWarmUpShare = 0.2;

/** Least-squares slope of heapUsed over sign-ins, after warm-up, in bytes per sign-in. */
export const heapSlope = (results: Results, row: Row): number => {
  const all = results.memory.find(
    (memory) => memory.name === row.name && memory.scope === row.scope,
  )!.samples;
  const warmUp = all.at(-1)!.signIns * memoryWarmUpShare;
  const samples = all.filter((sample) => sample.signIns >= warmUp);
  const meanX = samples.reduce((sum, s) => sum + s.signIns, 0) / samples.length;
  const meanY = samples.reduce((sum, s) => sum + s.heapUsed, 0) / samples.length;
  const covariance = samples.reduce(
    (sum, s) => sum + (s.signIns - meanX) * (s.heapUsed - meanY),
    0,
  );
  const variance = samples.reduce((sum, s) => sum + (s.signIns - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
};
