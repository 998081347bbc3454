// Builds lib/ once per test run, before any test file starts: the e2e, soak and install tests
// exercise the package as it ships, and parallel workers must never see a lib/ half rebuilt.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const setup = (): void => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
};
