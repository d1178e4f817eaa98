// Headless Chromium (Debian's package) driven by playwright-core.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Launches Chromium, or skips the suite (fails under CI=true) when it is not installed. */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    const reason = `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason}; CI=true requires it`);
    console.warn(`      ⚠ skipped: ${reason}`);
    ctx.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Where browser tests keep what a person would look at (screenshots). */
export const ARTIFACTS_DIR = 'test-artifacts';

/**
 * A page with no internet, as a phone in a car park may be: every request
 * that does not go to this machine fails at once. `external` collects those
 * that were not map tiles, which the page must never need.
 */
export async function offlinePage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page; external: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
  const page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  const external: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.hostname.endsWith('tile.openstreetmap.org')) external.push(req.url());
  });
  page.on('close', () => void context.close());
  return { page, external };
}

/** Zooms the drivers' map in (levels > 0) or out with its buttons, one level at a time, each once the last has ended. */
export async function zoomMap(page: Page, levels: number): Promise<void> {
  const button = levels > 0 ? '.leaflet-control-zoom-in' : '.leaflet-control-zoom-out';
  for (let i = 0; i < Math.abs(levels); i++) {
    const before = Number(await page.getAttribute('#map', 'data-zoom'));
    await page.click(button);
    await page.waitForFunction((zoom) => document.getElementById('map')?.dataset.zoom === String(zoom), before + Math.sign(levels), { timeout: 30_000 });
  }
}
