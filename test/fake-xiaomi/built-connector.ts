import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type * as Testing from '../../src/testing.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builtEntry = join(root, 'lib', 'testing.js');
const lockDir = join(root, '.cache', 'build.lock');

const newestSource = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);

const isStale = (): boolean => {
  try {
    const built = statSync(builtEntry).mtimeMs;
    return (
      newestSource(join(root, 'src')) > built ||
      statSync(join(root, 'scripts', 'build.mjs')).mtimeMs > built
    );
  } catch {
    return true;
  }
};

// Test files run in parallel workers; one rebuild at a time, or a worker could import a lib/
// that another worker is deleting.
const withBuildLock = async (run: () => void): Promise<void> => {
  mkdirSync(join(root, '.cache'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // A lock left by a killed run is taken over after a minute.
      if (attempt > 600) {
        rmSync(lockDir, { recursive: true, force: true });
      }
      await sleep(100);
    }
  }
  try {
    run();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
};

/**
 * The connector exactly as it ships: `lib/testing.js`, rebuilt first when missing or older than
 * the sources. `npm test` builds before running, so this only builds for a lone `vitest run`.
 */
export const loadBuiltConnector = async (): Promise<typeof Testing> => {
  if (isStale()) {
    await withBuildLock(() => {
      if (isStale()) {
        execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
      }
    });
  }
  return (await import(pathToFileURL(builtEntry).href)) as typeof Testing;
};
