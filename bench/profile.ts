// `npm run bench -- --profile`: where each connector's CPU goes during sign-ins. Runs every
// connector at both scopes under `--cpu-prof` (sign-ins at concurrency 1, no added latency), writes
// the profiles to .cache/bench/profiles (open them in Chrome DevTools) and prints each one's self
// time by package and its hottest functions.
//   node bench/profile.ts <built lib/ directory> [sign-ins]
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { connectors, scopes, warmUpSignIns } from './plan.ts';
import { root, startFake, startWorker } from './processes.ts';

const [libDirectory = path.join(root, 'lib'), signIns = '3000'] = process.argv.slice(2);
const directory = path.join(root, '.cache', 'bench', 'profiles');

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Where a function lives, by the file it came from. */
const packageOf = ({ functionName, url }: ProfileNode['callFrame']): string => {
  if (url === '') {
    return functionName === '(garbage collector)'
      ? 'V8 garbage collector'
      : functionName === '(idle)'
        ? 'idle'
        : `V8 and native ${functionName}`;
  }
  if (url.startsWith('node:internal/deps/undici')) return 'undici (fetch)';
  if (url.startsWith('node:')) {
    const module = url.slice('node:'.length).replace(/^internal\//, '');
    return `node ${/^(_http|http|https|net|stream|streams|url|timers|events|buffer|zlib|dns|tls|crypto|webstreams|process|abort_controller|perf_hooks)/.exec(module)?.[1] ?? module}`;
  }
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (inPackage) return inPackage;
  if (url.includes(libDirectory) || url.includes('/lib/')) return 'connector-xiaomi lib/';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
};

const summarise = (profile: Profile, top: number) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfUs.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)')
    .reduce((sum, [, us]) => sum + us, 0);
  const group = (key: (node: ProfileNode) => string) => {
    const sums = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(idle)') continue;
      sums.set(key(node), (sums.get(key(node)) ?? 0) + us);
    }
    return [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  };
  const percent = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  return [
    `  busy CPU in profile: ${(total / 1000).toFixed(0)} ms`,
    '  self time by package:',
    ...group((node) => packageOf(node.callFrame)).map(
      ([name, us]) => `    ${percent(us)}  ${name}`,
    ),
    '  hottest functions (self time):',
    ...group(
      ({ callFrame }) =>
        `${callFrame.functionName || '(anonymous)'}  ${packageOf(callFrame)}:${callFrame.lineNumber + 1}`,
    ).map(([name, us]) => `    ${percent(us)}  ${name}`),
  ].join('\n');
};

await rm(directory, { recursive: true, force: true });
await mkdir(directory, { recursive: true });
const fake = await startFake();
for (const scope of scopes) {
  for (const name of connectors) {
    const file = `${name}-scope-${scope.replaceAll(' ', '')}.cpuprofile`;
    const worker = await startWorker(name, scope, fake, libDirectory, [
      '--cpu-prof',
      `--cpu-prof-dir=${directory}`,
      `--cpu-prof-name=${file}`,
    ]);
    await worker.run({ concurrency: 8, latencyMs: 0, signIns: warmUpSignIns });
    await worker.run({ concurrency: 1, latencyMs: 0, signIns: Number(signIns) });
    await worker.exit();
  }
}
await fake.close();

for (const file of (await readdir(directory)).sort()) {
  const profile = JSON.parse(await readFile(path.join(directory, file), 'utf8')) as Profile;
  console.log(`\n${file}\n${summarise(profile, 18)}`);
}
console.log(
  `\nProfiles: ${path.relative(root, directory)}/ (Chrome DevTools > Performance > Load)`,
);
