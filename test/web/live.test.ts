// The map across a lost connection: a banner while the service is away, and
// a fresh snapshot when it is back, so nothing shown is older than it says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, offlinePage } from '../helpers/browser.ts';

describe('web: the live map across a service restart', function () {
  this.timeout(90_000);
  let browser: Browser;
  let page: Page | undefined;
  const apps: TestApp[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-web-live-'));

  const countOnPage = (id: string) => page!.locator(`.lot-marker[data-lot-id="${id}"]`).textContent();
  const publishTo = async (t: TestApp, id: string, payload: object) => {
    const mqtt = await connectMqtt(t.app.mqtt.url);
    await publish(mqtt, `parking/lots/${id}/count`, payload);
    await mqtt.endAsync();
  };

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    for (const t of apps) await t.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a banner while disconnected, then takes a fresh snapshot after reconnecting', async () => {
    const first = await startApp({ PUSH_INTERVAL_MS: '100' }, { dataDir });
    apps.push(first);
    ({ page } = await offlinePage(browser));
    await page.goto(first.app.httpUrl);
    await publishTo(first, 'nanfeng-rd', { occupied: 50 });
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '100');
    assert.equal(await page.isVisible('#connection-banner'), false);

    const port = first.app.httpPort;
    await first.stop();
    await page.locator('#connection-banner').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await page.textContent('#connection-banner')) ?? '', /连接已断开/);

    // The service comes back on the same address with an empty live store:
    // the count shown before is gone, and the page must not keep showing it.
    const second = await startApp({ PORT: String(port), PUSH_INTERVAL_MS: '100' }, { dataDir });
    apps.push(second);
    await page.locator('#connection-banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '–', undefined, { timeout: 20_000 });
    await publishTo(second, 'nanfeng-rd', { occupied: 140 });
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '10', undefined, { timeout: 20_000 });
    assert.equal(await countOnPage('nanfeng-rd'), '10');
  });
});
