// `npm run demo` in headless Chromium: the sign-in button, the fake consent page, the callback and
// the result page, through allow and deny. What the page hides, the order of its calls and the
// favicon are checked over HTTP in demo.test.ts. Each run saves screenshots in .cache/; the ones in
// docs/ (for fakes/xiaomi/README.md) are written when missing, or rewritten with
// UPDATE_DEMO_SCREENSHOTS=1, so that a test run does not change committed files with every new
// port and token.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { describeInChromium, launchChromium } from './chromium.ts';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';

import type { Demo } from '../../demo/server.ts';
import { startDemo } from '../../demo/server.ts';

let demo: Demo;
let browser: Browser;
let page: Page;
const requestedHosts = new Set<string>();
/** Every answer the browser got with an error status, e.g. a missing /favicon.ico. */
const failedResponses: string[] = [];

const screenshot = async (name: string) => {
  await page.screenshot({ path: join('.cache', name), fullPage: true });
  const published = join('docs', name);
  if (!existsSync(published) || process.env.UPDATE_DEMO_SCREENSHOTS) {
    await page.screenshot({ path: published, fullPage: true });
  }
};

describeInChromium('the offline demo in a browser', () => {
  beforeAll(async () => {
    demo = await startDemo({ port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('request', (request) => requestedHosts.add(new URL(request.url()).hostname));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        failedResponses.push(`${response.status()} ${response.url()}`);
      }
    });
  });

  const toConsentPage = async () => {
    await page.goto(demo.url);
    await page.getByRole('button', { name: 'Continue with Xiaomi' }).click();
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'wants to use your Xiaomi account',
    );
  };

  it('signs in when the user allows, and shows the user info and the authorization URL', async () => {
    await toConsentPage();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForSelector('[data-outcome="signed-in"]');

    const userInfo: unknown = JSON.parse((await page.locator('#user-info').textContent()) ?? '{}');
    expect(userInfo).toMatchObject({
      id: 'uUnion_fake_4f1c2e',
      name: 'Lei Jun (demo)',
      email: 'leijun@example.com',
    });
    expect(await page.locator('#authorization-uri').textContent()).toContain(
      '/oauth2/authorize?client_id=',
    );
    expect(await page.content()).not.toContain('fake-xiaomi-secret');
    await screenshot('demo-allow.png');
  });

  it('shows authorization_failed when the user denies', async () => {
    await toConsentPage();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForSelector('[data-outcome="failed"]');
    expect(await page.locator('#error-code').textContent()).toBe('authorization_failed');
    await screenshot('demo-deny.png');
  });

  it('loads nothing from outside this machine, and every answer it loads is found', () => {
    expect([...requestedHosts]).toEqual(['127.0.0.1']);
    expect(failedResponses).toEqual([]);
  });
});
