import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

/** Debian's Chromium: this machine reaches no browser download. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A browser test suite. Skipped on a developer machine without Chromium, with its name saying why
 * and a warning in the test output ("skipped" alone sends a newcomer looking for a bug); in CI
 * (.ci/run installs it) a missing one fails, never passes silently.
 */
export const describeInChromium = (name: string, body: () => void): void => {
  if (existsSync(chromiumPath) || process.env.CI) {
    describe(name, body);
    return;
  }
  const why = `no Chromium at ${chromiumPath}: install it with \`apt-get install chromium\` (as root), or set CHROMIUM_PATH to a Chromium binary`;
  console.warn(`${name}: skipped, ${why}.`);
  describe.skip(`${name} (skipped: ${why})`, body);
};

/**
 * Headless, as root, on a machine with no network: without the background-networking flags,
 * Chromium keeps trying to reach Google's hosts. Playwright gives each launch a fresh profile, and
 * a temporary downloads folder it deletes when the browser closes.
 */
export const launchChromium = async (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
      ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ],
  });
