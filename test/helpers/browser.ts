// Headless Chromium (Debian's package) driven by playwright-core.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
