import { existsSync } from 'node:fs';

import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Debian's Chromium: this machine reaches no browser download. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Skipped on a developer machine without Chromium; in CI (which installs it) a missing one fails. */
export const skipWithoutChromium = !existsSync(chromiumPath) && !process.env.CI;

const howToGetChromium = `no Chromium at ${chromiumPath}: install it with \`apt-get install chromium\` (as root), or set CHROMIUM_PATH to a Chromium binary`;

/**
 * The name of a browser test suite, saying why it is skipped when it is, and a warning in the test
 * output: "skipped" alone sends a newcomer looking for a bug.
 */
export const browserSuite = (name: string): string => {
  if (!skipWithoutChromium) {
    return name;
  }
  console.warn(`${name}: skipped, ${howToGetChromium}.`);
  return `${name} (skipped: ${howToGetChromium})`;
};

/**
 * Headless, as root, on a machine with no network: without the background-networking flags,
 * Chromium keeps trying to reach Google's hosts. Playwright gives each launch a fresh profile.
 */
export const launchChromium = async (options: LaunchOptions = {}): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    ...options,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
