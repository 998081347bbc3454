// Logto inlines logo.svg and logo-dark.svg as data URLs and shows them at about 24 px on the
// sign-in button and in the console, on light and dark themes. This renders both in headless
// Chromium and checks they are valid, small and visibly Xiaomi's orange mark with its white "mi".
// Set UPDATE_LOGO_PREVIEWS=1 to rewrite the reviewer previews in docs/.
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { describeInChromium, launchChromium } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const logos = [
  { file: 'logo.svg', theme: 'light', background: '#ffffff' },
  { file: 'logo-dark.svg', theme: 'dark', background: '#1a1a1a' },
] as const;
const backgrounds = ['#ffffff', '#1a1a1a'] as const;
const sizes = [24, 96] as const;

let browser: Browser;
let page: Page;

const dataUrl = async (file: string) =>
  `data:image/svg+xml;base64,${(await readFile(file)).toString('base64')}`;

// Draws the SVG the way an <img> would (Logto uses <img src="data:...">) onto a canvas filled with
// the page background, then classifies every pixel.
const countPixels = (src: string, size: number, background: string) =>
  page.evaluate(
    async ({ src, size, background }) => {
      const image = new Image(size, size);
      image.src = src;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = size;
      canvas.height = size;
      const context = canvas.getContext('2d')!;
      context.fillStyle = background;
      context.fillRect(0, 0, size, size);
      context.drawImage(image, 0, 0, size, size);
      const { data } = context.getImageData(0, 0, size, size);
      const bg = parseInt(background.slice(1), 16);
      const [bgR, bgG, bgB] = [(bg >> 16) & 255, (bg >> 8) & 255, bg & 255];
      const counts = { notBackground: 0, orange: 0, letterWhite: 0, letterBox: 0 };
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const i = (y * size + x) * 4;
          const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
          if (Math.abs(r - bgR) + Math.abs(g - bgG) + Math.abs(b - bgB) > 24)
            counts.notBackground++;
          if (r > 220 && g > 80 && g < 130 && b < 40) counts.orange++;
          // The letterforms span roughly 20%..80% across and 31%..69% down.
          const inBox = x >= size * 0.2 && x < size * 0.8 && y >= size * 0.31 && y < size * 0.69;
          if (inBox) {
            counts.letterBox++;
            if (r > 235 && g > 235 && b > 235) counts.letterWhite++;
          }
        }
      }
      return counts;
    },
    { src, size, background },
  );

describeInChromium('logos', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ deviceScaleFactor: 1 });
    await page.setContent('<!doctype html><title>logos</title>');
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(logos)('$file', ({ file }) => {
    it('is a well-formed SVG document with a square viewBox', async () => {
      const text = await readFile(file, 'utf8');
      const { viewBox, ...parsed } = await page.evaluate((source) => {
        const document = new DOMParser().parseFromString(source, 'image/svg+xml');
        const root = document.documentElement;
        return {
          error: document.querySelector('parsererror')?.textContent ?? null,
          root: root.localName,
          namespace: root.namespaceURI,
          viewBox: root.getAttribute('viewBox'),
        };
      }, text);
      expect(parsed).toEqual({ error: null, root: 'svg', namespace: 'http://www.w3.org/2000/svg' });
      const [, , width, height] = (viewBox ?? '').split(/[\s,]+/).map(Number);
      expect(width).toBeGreaterThan(0);
      expect(width).toBe(height);
    });

    it('is small and embeds no raster image or script', async () => {
      expect((await stat(file)).size).toBeLessThan(2048);
      expect(await readFile(file, 'utf8')).not.toMatch(/<image|<script|href=|data:/i);
    });

    it.each(sizes.flatMap((size) => backgrounds.map((background) => ({ size, background }))))(
      'shows the orange mark with white letterforms at $size px on $background',
      async ({ size, background }) => {
        const counts = await countPixels(await dataUrl(file), size, background);
        // The squircle covers about 88% of its box and the "mi" about 15%: on white, only the orange
        // differs from the background.
        expect(counts.notBackground / (size * size)).toBeGreaterThan(0.65);
        expect(counts.orange / (size * size)).toBeGreaterThan(0.55);
        // The white "mi" fills roughly a third of its box: legible, not lost in anti-aliasing.
        expect(counts.letterWhite / counts.letterBox).toBeGreaterThan(0.25);
        expect(counts.letterWhite / counts.letterBox).toBeLessThan(0.75);
      },
    );
  });

  it('tells a blank or off-brand image apart from the logo', async () => {
    const square = (fill: string) =>
      `data:image/svg+xml,${encodeURIComponent(
        `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="${fill}"/></svg>`,
      )}`;
    const blank = await countPixels(square('none'), 24, '#ffffff');
    expect(blank.notBackground).toBe(0);
    const blue = await countPixels(square('#0066ff'), 24, '#1a1a1a');
    expect(blue.orange).toBe(0);
    const plainOrange = await countPixels(square('#ff6900'), 24, '#1a1a1a');
    expect(plainOrange.letterWhite).toBe(0);
  });

  it.runIf(process.env.UPDATE_LOGO_PREVIEWS)('writes the previews in docs/', async () => {
    for (const { file, theme, background } of logos) {
      for (const size of sizes) {
        const padding = size / 3;
        await page.setContent(
          `<!doctype html><body style="margin:0"><div id="tile" style="display:inline-block;` +
            `padding:${padding}px;background:${background};line-height:0">` +
            `<img src="${await dataUrl(file)}" width="${size}" height="${size}" alt=""></div>`,
        );
        const png = await page.locator('#tile').screenshot();
        await writeFile(`docs/logo-${theme}-${size}.png`, png);
      }
    }
  });
});
