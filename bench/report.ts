// Turns the measurements into docs/benchmarks.md (between its generated-section markers; the rest
// of the file is hand-written and kept) and docs/benchmarks.svg.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { scenarios } from './networks.ts';
import { connectorLabels } from './plan.ts';
import {
  findCell,
  flatBytesPerSignIn,
  heapSlope,
  importsOf,
  median,
  medianImportMs,
  memoryWarmUpShare,
  retainedPerSignIn,
  type Results,
  type Row,
} from './results.ts';
import type { Verdict } from './targets.ts';

const label = (row: Row) => `${connectorLabels[row.name]} (scope \`${row.scope}\`)`;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

const table = (header: string[], rows: string[][]): string =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');

const rowsOf = (results: Results): Row[] =>
  results.cells
    .filter(
      (cell, index, all) =>
        all.findIndex((other) => other.name === cell.name && other.scope === cell.scope) === index,
    )
    .map(({ name, scope }) => ({ name, scope }));

/** Issue 11's measurements (networks.ts), for runs that made them. */
const networkSection = (results: Results): string[] => {
  const { networks } = results;
  if (!networks) {
    return [];
  }
  return [
    '### Real networks',
    '',
    'Both connectors at scope `1` against the fake Xiaomi as networks break it (bench/networks.ts): ' +
      'broken answers (HTML 5xx pages, resets, stalls that never end, garbage, Xiaomi error ' +
      'envelopes; 32 sign-ins at a time), connections dropped without a word, and an HTTPS fake ' +
      'under `xiaomi.invalid`, a name only the CONNECT proxy on loopback resolves. A failed ' +
      'sign-in is one that reached Logto as an error.',
    '',
    table(
      ['Network', 'Connector', 'Signed in', 'Failed, by code', 'Slowest', 'Calls via the proxy'],
      networks.rows.map((entry) => [
        scenarios[entry.scenario],
        connectorLabels[entry.name],
        `${entry.signIns - entry.failed}/${entry.signIns} (${(((entry.signIns - entry.failed) / entry.signIns) * 100).toFixed(1)}%)`,
        Object.entries(entry.failuresByCode)
          .map(([code, count]) => `${code} ${count}`)
          .join(', ') || '–',
        `${(entry.slowestMs / 1000).toFixed(2)} s`,
        entry.calls === undefined ? '' : `${entry.throughProxy}/${entry.calls}`,
      ]),
    ),
    '',
    'A sign-in right after the fake closed every idle connection (new TCP and TLS connections, ' +
      'as after a quiet spell) next to the one right after it, over HTTPS on loopback, median of ' +
      `${networks.coldStarts[0]?.samples} pairs. On loopback a handshake costs little; across the ` +
      'internet to Xiaomi it costs round trips.',
    '',
    table(
      ['Connector', 'On new connections', 'Warm'],
      networks.coldStarts.map((entry) => [
        connectorLabels[entry.name],
        ms(entry.coldMs),
        ms(entry.warmMs),
      ]),
    ),
    '',
  ];
};

/** The generated section of docs/benchmarks.md. */
export const generated = (results: Results, verdicts: Verdict[]): string => {
  const { machine } = results;
  const rows = rowsOf(results);
  const grid = [...new Set(results.cells.map((cell) => `${cell.concurrency}/${cell.latencyMs}`))];
  return [
    `Run of ${machine.date}, ${machine.duration}: ${machine.cpu}, ${machine.memory}, ${machine.os}, ` +
      `load average ${machine.load} at the start. Node.js ${machine.node}; ` +
      `${connectorLabels.ours} ${machine.ours} (node:http), ` +
      `${connectorLabels.official} ${machine.official} (ky ${machine.ky}, fetch), ` +
      `@logto/connector-kit ${machine.connectorKit}.`,
    '',
    '### Targets',
    '',
    'Ratios and differences to `@logto/connector-xiaomi` at scope `1`, measured in this run.',
    '',
    table(
      ['Target', 'Measured', 'Limit', ''],
      verdicts.map((verdict) => [
        verdict.target,
        verdict.measured,
        verdict.limit,
        verdict.pass ? 'pass' : '**FAIL**',
      ]),
    ),
    '',
    '![CPU, latency, import time and memory of each connector, as ratios to the official connector at scope 1](benchmarks.svg)',
    '',
    '### Sign-ins',
    '',
    `CPU is the connector process's own (user + system, all threads, garbage collection included), ` +
      `per sign-in: the median over ${results.cells[0]!.rounds} rounds. Latency percentiles pool ` +
      `every sign-in of every round. A sign-in is Logto's two calls, \`getAuthorizationUri\` ` +
      'then `getUserInfo`.',
    '',
    table(
      [
        'Connector',
        'Concurrency',
        'Added per response',
        'CPU per sign-in',
        'of which system',
        'p50',
        'p99',
        'Sign-ins/s',
        'Sign-ins',
      ],
      grid.flatMap((key) => {
        const [concurrency, latencyMs] = key.split('/').map(Number) as [number, number];
        return rows.map((row) => {
          const cell = findCell(results, row, { concurrency, latencyMs });
          return [
            label(row),
            String(concurrency),
            `${latencyMs} ms`,
            `${Math.round(cell.cpuUs)} µs`,
            `${Math.round(cell.systemUs)} µs`,
            ms(cell.p50Ms),
            ms(cell.p99Ms),
            cell.perSecond.toFixed(0),
            String(cell.signIns),
          ];
        });
      }),
    ),
    '',
    'What each connector returned to Logto: ' +
      rows
        .map(
          (row) =>
            `${label(row)}: ${findCell(results, row, { concurrency: 1, latencyMs: 0 })
              .fields.map((field) => `\`${field}\``)
              .join(', ')}`,
        )
        .join('; ') +
      '.',
    '',
    '### Start-up',
    '',
    `Each sample is a fresh process (${importsOf(results, 'ours', true).length} per connector ` +
      'and row, connectors alternating). Import: `await import()` of the file Logto imports, ' +
      '`lib/index.js`. "As Logto imports it": `@logto/connector-kit` and `zod`, which Logto has ' +
      'loaded before it imports any connector and which both packages import, are loaded first, ' +
      'so the time is what the package adds to Logto’s start. "Alone": nothing loaded first; ' +
      'connector-kit is then most of the time. First sign-in: right after the import, in the same ' +
      'process, scope `1` (lazy imports, first connections and cold code included).',
    '',
    table(
      ['Connector', 'Import', 'Median', 'Min–max', 'Ratio', 'First sign-in, median'],
      [true, false].flatMap((host) =>
        (['official', 'ours'] as const).map((name) => {
          const samples = importsOf(results, name, host);
          const imports = samples.map((sample) => sample.importMs);
          return [
            connectorLabels[name],
            host ? 'as Logto imports it' : 'alone',
            ms(median(imports)),
            `${ms(Math.min(...imports))}–${ms(Math.max(...imports))}`,
            `${(median(imports) / medianImportMs(results, 'official', host)).toFixed(2)}x`,
            ms(median(samples.map((sample) => sample.firstSignInMs))),
          ];
        }),
      ),
    ),
    '',
    '### Memory',
    '',
    'A fresh process per row (`--expose-gc --no-flush-bytecode`), ' +
      `${results.memoryWarmUp} sign-ins of warm-up, then sign-ins at concurrency 32 with ` +
      `\`heapUsed\` sampled every ${results.memory[0]!.samples[1]!.signIns}, each time after the ` +
      'fake closed its idle keep-alive connections and two full garbage collections. ' +
      '`heapUsed` includes the code V8 compiles while it optimises, which keeps growing a little ' +
      'long after warm-up; its slope is over the last ' +
      `${Math.round((1 - memoryWarmUpShare) * 100)}% of the run. Retained data is the difference ` +
      'between heap snapshots at the first and the last sample without compiled code and ' +
      `V8's own bookkeeping: what the sign-ins left behind. Flat means under ` +
      `${flatBytesPerSignIn} bytes of it per sign-in: the least a sign-in could leave behind, ` +
      'one empty object, is 12 to 16 bytes; Node’s timer lists and queues, holding whatever the ' +
      'last requests left pending, make up to about 1 byte per sign-in either way.',
    '',
    table(
      [
        'Connector',
        'Heap after warm-up',
        ...results.memory[0]!.samples.slice(1).map((sample) => `${sample.signIns / 1000}k`),
        'heapUsed slope',
        'Retained data',
        'Compiled code',
        'RSS at the end',
      ],
      results.memory.map((memory) => [
        label(memory),
        mib(memory.samples[0]!.heapUsed),
        ...memory.samples.slice(1).map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(2)),
        `${heapSlope(results, memory).toFixed(1)} B per sign-in`,
        `${retainedPerSignIn(results, memory).toFixed(2)} B per sign-in`,
        `${(memory.growth.code / 1024).toFixed(0)} KiB`,
        mib(memory.samples.at(-1)!.rss),
      ]),
    ),
    '',
    ...networkSection(results),
    `Routing the official connector to the fake adds ${results.rewriteCostNs.toFixed(0)} ns to ` +
      'each of its requests (measured in this run; see below).',
  ].join('\n');
};

// ---- chart ----

type Series = { row: Row; color: string };

const series: Series[] = [
  { row: { name: 'official', scope: '1' }, color: '#9e9e9e' },
  { row: { name: 'official', scope: '1 3 4 6' }, color: '#cfcfcf' },
  { row: { name: 'ours', scope: '1' }, color: '#ff6900' },
  { row: { name: 'ours', scope: '1 3 4 6' }, color: '#ffb37a' },
];

type Metric = {
  title: string;
  value: (results: Results, row: Row) => number | undefined;
  unit: (value: number) => string;
  /** Targets as ratios to the official at scope 1, per series. */
  targets?: Partial<Record<string, number>>;
};

const key = (row: Row) => `${row.name}@${row.scope}`;

const metrics: Metric[] = [
  ...[1, 32].map((concurrency): Metric => ({
    title: `CPU per sign-in, concurrency ${concurrency}`,
    value: (results, row) => findCell(results, row, { concurrency, latencyMs: 0 }).cpuUs,
    unit: (value) => `${Math.round(value)} µs`,
    targets: { 'ours@1': 0.5, 'ours@1 3 4 6': 1 },
  })),
  {
    title: 'p50 latency, +50 ms per response',
    value: (results, row) => findCell(results, row, { concurrency: 1, latencyMs: 50 }).p50Ms,
    unit: ms,
    targets: { 'ours@1 3 4 6': 1.15 },
  },
  {
    title: 'p99 latency, concurrency 32, +50 ms',
    value: (results, row) => findCell(results, row, { concurrency: 32, latencyMs: 50 }).p99Ms,
    unit: ms,
  },
  {
    title: 'Import time, as Logto imports it',
    value: (results, row) =>
      row.scope === '1' ? medianImportMs(results, row.name, true) : undefined,
    unit: ms,
    targets: { 'ours@1': 1 },
  },
  {
    title: 'Heap after 10,000 sign-ins',
    value: (results, row) =>
      results.memory
        .find((memory) => memory.name === row.name && memory.scope === row.scope)
        ?.samples.at(-1)?.heapUsed,
    unit: mib,
  },
];

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const chart = (results: Results): string => {
  const reference = series[0]!.row;
  const width = 820;
  const left = 250;
  const right = 130;
  const barHeight = 14;
  const groupGap = 26;
  const top = 64;
  const groups = metrics.map((metric) => {
    const base = metric.value(results, reference)!;
    return {
      metric,
      bars: series
        .map((entry) => ({ entry, value: metric.value(results, entry.row) }))
        .filter((bar): bar is { entry: Series; value: number } => bar.value !== undefined)
        .map((bar) => ({ ...bar, ratio: bar.value / base })),
    };
  });
  const maxRatio = Math.max(1.25, ...groups.flatMap((group) => group.bars.map((bar) => bar.ratio)));
  const scale = (ratio: number) => left + (ratio / maxRatio) * (width - left - right);
  const height =
    top + groups.reduce((sum, group) => sum + group.bars.length * barHeight + groupGap, 0) + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600" fill="#222">connector-xiaomi vs @logto/connector-xiaomi: ratio to the official at scope 1 (lower is better)</text>`,
    ...series.map(
      (entry, index) =>
        `<rect x="${16 + index * 190}" y="36" width="12" height="12" fill="${entry.color}"/>` +
        `<text x="${32 + index * 190}" y="46" fill="#333">${escape(`${entry.row.name === 'ours' ? 'ours' : 'official'}, scope ${entry.row.scope}`)}</text>`,
    ),
    `<text x="${width - 16}" y="46" text-anchor="end" fill="#c00">| target</text>`,
  ];
  let y = top;
  for (const group of groups) {
    parts.push(
      `<text x="16" y="${y + (group.bars.length * barHeight) / 2 + 4}" fill="#222">${escape(group.metric.title)}</text>`,
    );
    for (const bar of group.bars) {
      const x = scale(bar.ratio);
      const target = group.metric.targets?.[key(bar.entry.row)];
      const targetX = target === undefined ? undefined : scale(target);
      parts.push(
        `<rect x="${left}" y="${y + 1}" width="${Math.max(1, x - left).toFixed(1)}" height="${barHeight - 2}" fill="${bar.entry.color}"/>`,
      );
      if (targetX !== undefined) {
        parts.push(
          `<line x1="${targetX.toFixed(1)}" y1="${y}" x2="${targetX.toFixed(1)}" y2="${y + barHeight}" stroke="#c00" stroke-width="2"/>`,
        );
      }
      // Right of the bar, and of its target mark when that lies further right.
      const labelX = Math.max(x, targetX ?? 0) + 6;
      parts.push(
        `<text x="${labelX.toFixed(1)}" y="${y + barHeight - 3}" font-size="11" fill="#333">${bar.ratio.toFixed(2)}x · ${escape(group.metric.unit(bar.value))}</text>`,
      );
      y += barHeight;
    }
    y += groupGap;
  }
  const one = scale(1).toFixed(1);
  parts.push(
    `<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${y - groupGap + 6}" stroke="#999"/>`,
    `<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${y - groupGap + 6}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${y - groupGap + 20}" text-anchor="middle" fill="#666">1.0x</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
};

// ---- the file ----

const start =
  '<!-- Generated by `npm run bench`: everything down to the end marker is replaced. -->';
const end = '<!-- End of the generated section. -->';

const skeleton = `# Benchmarks

${start}
${end}
`;

export const writeReport = async (root: string, results: Results, verdicts: Verdict[]) => {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = await readFile(file, 'utf8').catch(() => skeleton);
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(`${file} has lost its generated-section markers; restore them to regenerate`);
  }
  const text = `${current.slice(0, from + start.length)}\n\n${generated(results, verdicts)}\n\n${current.slice(to)}`;
  // Written as prettier would, so that `npm run lint` passes on a freshly generated file.
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(file);
  await writeFile(file, await prettier.format(text, { ...options, filepath: file }));
  await writeFile(path.join(root, 'docs', 'benchmarks.svg'), chart(results));
};
