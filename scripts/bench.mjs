// npm run bench [-- --write | --quick | --profile]: bench/main.ts under Node 22, the Node Logto
// runs on, with tsx. See docs/benchmarks.md for what is measured and how.
import { spawnSync } from 'node:child_process';

import { node22 } from './node22.mjs';

const main = ['--import', 'tsx', 'bench/main.ts', ...process.argv.slice(2)];
const cwd = new URL('..', import.meta.url);
process.exitCode = spawnSync(await node22(), main, { cwd, stdio: 'inherit' }).status ?? 1;
