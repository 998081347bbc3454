// The targets, as ratios to the official connector measured in the same run.
import {
  findCell,
  flatBytesPerSignIn,
  medianImportMs,
  retainedPerSignIn,
  type Results,
  type Row,
} from './results.ts';

export type Verdict = {
  target: string;
  measured: string;
  limit: string;
  pass: boolean;
};

const official1: Row = { name: 'official', scope: '1' };
const ours1: Row = { name: 'ours', scope: '1' };
const ours1346: Row = { name: 'ours', scope: '1 3 4 6' };

const ratio = (target: string, value: number, reference: number, limit: number): Verdict => ({
  target,
  measured: `${(value / reference).toFixed(2)}x`,
  limit: `≤ ${limit.toFixed(2)}x`,
  pass: value / reference <= limit,
});

export const evaluateTargets = (results: Results): Verdict[] => {
  const cpu = (row: Row, concurrency: number) =>
    findCell(results, row, { concurrency, latencyMs: 0 }).cpuUs;
  const p50 = (row: Row) => findCell(results, row, { concurrency: 1, latencyMs: 50 }).p50Ms;
  return [
    ...[1, 32].flatMap((concurrency) => [
      ratio(
        `CPU per sign-in at scope 1, concurrency ${concurrency}`,
        cpu(ours1, concurrency),
        cpu(official1, concurrency),
        0.5,
      ),
      ratio(
        `CPU per sign-in, ours at 1 3 4 6 vs official at 1, concurrency ${concurrency}`,
        cpu(ours1346, concurrency),
        cpu(official1, concurrency),
        1,
      ),
    ]),
    ratio(
      'p50 latency with 50 ms per response, ours at 1 3 4 6 vs official at 1',
      p50(ours1346),
      p50(official1),
      1.15,
    ),
    ratio(
      'Import time of lib/index.js in a fresh process, as Logto imports it (median)',
      medianImportMs(results, 'ours', true),
      medianImportMs(results, 'official', true),
      1,
    ),
    ...[ours1, ours1346].map((row): Verdict => {
      const retained = retainedPerSignIn(results, row);
      return {
        target: `JavaScript data retained per sign-in after warm-up, ours at ${row.scope}`,
        measured: `${retained.toFixed(2)} B`,
        limit: `< ${flatBytesPerSignIn} B`,
        pass: retained < flatBytesPerSignIn,
      };
    }),
  ];
};

export const formatVerdicts = (verdicts: Verdict[]): string => {
  const width = Math.max(...verdicts.map((verdict) => verdict.target.length));
  return [
    'Targets (ratios to @logto/connector-xiaomi at scope 1, in this run):',
    ...verdicts.map(
      (verdict) =>
        `  ${verdict.pass ? 'PASS' : 'FAIL'}  ${verdict.target.padEnd(width)}  ` +
        `${verdict.measured.padStart(7)}  (${verdict.limit})`,
    ),
  ].join('\n');
};
