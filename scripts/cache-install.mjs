// Installs packages from the npm registry into .cache/<directory>, once, for tests and benchmarks
// that need something this repository must not depend on (a Node 22 binary, older Logto CLIs).
//
// Offline, npm retries each request for one to two minutes and prints its stack trace; here the
// install is tried once with a short timeout, the half-made folder is removed, and the error is a
// single line that says what is missing and how to provide it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cacheRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache');

/** One line, no stack: the message is all a reader needs. */
export class MissingFromCacheError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'MissingFromCacheError';
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * @param {string} directory where it runs
 * @param {string[]} specs package specs, e.g. `zod@3.24.3`
 * @returns {Promise<void>}
 */
const npmInstall = (directory, specs) =>
  new Promise((resolve, reject) => {
    execFile(
      'npm',
      [
        'install',
        '--prefix',
        directory,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        // Nothing to build: binaries and libraries ship ready in their packages.
        '--ignore-scripts',
        '--loglevel=error',
        // One attempt, bounded: offline, npm's defaults wait minutes before giving up.
        '--fetch-retries=0',
        '--fetch-timeout=15000',
        ...specs,
      ],
      { shell: process.platform === 'win32', maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) {
          resolve();
          return;
        }
        const code = /npm error code (\S+)/.exec(stderr)?.[1] ?? `exit ${String(error.code)}`;
        reject(Object.assign(new Error(code), { npmCode: code }));
      },
    );
  });

/**
 * Makes sure `.cache/<directory>` holds `specs` installed, fetching them once.
 *
 * @param {object} options
 * @param {string} options.directory folder name under .cache/
 * @param {string[]} options.specs what to install
 * @param {(installed: string) => boolean} options.isComplete whether a folder holds a usable install
 * @param {string} options.howToProvide the second half of the error line, e.g. "Set NODE22=..."
 * @returns {Promise<string>} the absolute path of the folder
 */
export const installIntoCache = async ({ directory, specs, isComplete, howToProvide }) => {
  const target = path.join(cacheRoot, directory);
  if (isComplete(target)) {
    return target;
  }
  // Installed aside and renamed into place, so that concurrent callers never see half an install.
  const staging = `${target}.${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    try {
      await npmInstall(staging, specs);
    } catch (error) {
      throw new MissingFromCacheError(
        `${specs.join(' ')} is not in .cache/${directory} and npm could not fetch it (${/** @type {Error} */ (error).message}). ${howToProvide}`,
      );
    }
    if (!isComplete(staging)) {
      throw new MissingFromCacheError(
        `npm installed ${specs.join(' ')} into .cache/${directory} but the result is unusable. ${howToProvide}`,
      );
    }
    if (existsSync(target) && !isComplete(target)) {
      // A leftover of an interrupted install would block the rename.
      await rm(target, { recursive: true, force: true });
    }
    try {
      await rename(staging, target);
    } catch (error) {
      // Another process won the race; its copy is as good as ours.
      if (!isComplete(target)) {
        throw error;
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
};
