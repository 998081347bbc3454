// Gives a Node.js 22 binary, the major version Logto runs on, for tests and benchmarks that must
// run there whatever Node runs npm. The binary comes from the npm registry (`node-<os>-<cpu>`
// packages ship the official builds) and is cached in .cache/node22.
//
// Never add those packages to package.json: they declare a `bin` named `node`, which would then
// shadow the Node that runs every npm script.
//
//   import { node22 } from './scripts/node22.mjs'; const nodePath = await node22();
//   node scripts/node22.mjs      # prints the path, installing the binary first if needed
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const version = '22.23.5';
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const prefix = path.join(root, '.cache', 'node22');
const packageName = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const binary = path.join(
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
  pending ??= ensureInstalled();
  return pending;
};

const ensureInstalled = async () => {
  if (!existsSync(binary)) {
    // Installed aside and renamed into place, so that concurrent callers never see half a binary.
    const staging = `${prefix}.${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    // --ignore-scripts: nothing to run; the binary is in the package itself.
    await promisify(execFile)(
      'npm',
      [
        'install',
        '--prefix',
        staging,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `${packageName}@${version}`,
      ],
      { shell: process.platform === 'win32' },
    );
    if (!existsSync(binary)) {
      // A leftover of an interrupted install would block the rename.
      await rm(prefix, { recursive: true, force: true });
    }
    try {
      await rename(staging, prefix);
    } catch (error) {
      // Another process won the race; its copy is as good as ours.
      await rm(staging, { recursive: true, force: true });
      if (!existsSync(binary)) {
        throw error;
      }
    }
  }
  const { stdout } = await promisify(execFile)(binary, ['--version']);
  if (!stdout.startsWith('v22.')) {
    throw new Error(`${binary} is Node.js ${stdout.trim()}, not 22`);
  }
  return binary;
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await node22());
}
