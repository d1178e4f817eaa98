// The operator page in headless Chromium, next to an open drivers' map: an
// operator signs in, adds a lot by clicking the map and filling the form,
// and the drivers' map shows it without a reload. No internet: tiles fail.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_TOKEN, api, createOperator } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser } from '../helpers/browser.ts';

const ARTIFACTS = 'test-artifacts';

/** Opens a page that records CSP violations and page errors, with the internet blocked. */
async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.text().startsWith('CSP ')) problems.push(msg.text());
  });
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)),
  );
  await page.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  await page.goto(url);
  return { page, problems };
}

describe('web: the operator page in headless Chromium', function () {
  this.timeout(90_000);
  let browser: Browser;
  let context: BrowserContext;
  let t: TestApp;
  let token: string;
  let operatorPage: { page: Page; problems: string[] };
  let driversPage: { page: Page; problems: string[] };

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, PUSH_INTERVAL_MS: '100', WRITE_RATE_LIMIT: '100000' });
    token = (await createOperator(t.app.httpUrl, '<b>南丰</b> Parking')).token;
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    driversPage = await openPage(context, t.app.httpUrl);
    await driversPage.page.locator('.lot-marker[data-lot-id="nanfeng-rd"]').waitFor();
    operatorPage = await openPage(context, `${t.app.httpUrl}/operator?lang=en`);
  });
  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await t?.stop();
  });

  it('refuses a wrong token with a message, and signs in with a good one', async () => {
    const { page } = operatorPage;
    await page.fill('#token-input', 'kwo_wrong');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('sign-in-error')?.textContent !== '');
    assert.match((await page.textContent('#sign-in-error')) ?? '', /not valid/);
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#workspace').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#who'), '<b>南丰</b> Parking', 'the operator name shows as text');
    assert.equal(await page.locator('#who b').count(), 0);
  });

  it('adds a lot by clicking the map, shows the API\'s field errors inline, and the drivers\' map shows the lot at once', async () => {
    const { page } = operatorPage;
    const map = page.locator('#map');
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.6);
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    const lat = Number(await page.inputValue('#f-lat'));
    const lon = Number(await page.inputValue('#f-lon'));
    assert.ok(Math.abs(lat - 36.09) < 0.05 && Math.abs(lon - 120.36) < 0.05, `picked ${lat},${lon}`);

    // First a bad form: every error from the API appears beside its field, and nothing is stored.
    await page.fill('#f-capacity', '20');
    await page.fill('#f-capacityCharging', '30');
    await page.fill('#f-openingHours', 'all day long');
    await page.click('#lot-save');
    await page.locator('#e-name:not(:empty)').waitFor();
    for (const field of ['name', 'capacityCharging', 'openingHours']) {
      assert.notEqual(await page.textContent(`#e-${field}`), '', `an error beside ${field}`);
      assert.equal(await page.getAttribute(`#f-${field}`, 'aria-invalid'), 'true');
    }
    assert.equal(await page.textContent('#e-capacity'), '');
    assert.equal(t.app.catalog.size, 9);

    await page.fill('#f-name', '<img src=x onerror="window.__xss=1">延安路停车场');
    await page.fill('#f-nameEn', 'Yan\'an Rd Car Park');
    await page.fill('#f-capacityCharging', '4');
    await page.fill('#f-openingHours', '24/7');
    await page.selectOption('#f-type', 'multi_storey');
    await page.click('#lot-save');
    const item = page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"]');
    await item.waitFor();
    assert.match((await item.locator('.name').textContent()) ?? '', /Yan'an Rd Car Park/);
    assert.equal(await page.locator('#own-lots img').count(), 0);

    const drivers = driversPage.page;
    await drivers.locator('#lot-list [data-lot-id="yan-an-rd-car-park"]').waitFor({ timeout: 10_000 });
    await drivers.locator('.lot-marker[data-lot-id="yan-an-rd-car-park"]').waitFor({ timeout: 10_000 });
    assert.match((await drivers.locator('#lot-list [data-lot-id="yan-an-rd-car-park"]').textContent()) ?? '', /<img src=x onerror=/);
    assert.equal(await drivers.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    const stored = t.app.catalog.get('yan-an-rd-car-park')!;
    assert.deepEqual([stored.capacity, stored.capacityCharging, stored.type, stored.openingHours], [20, 4, 'multi_storey', '24/7']);
    assert.ok(Math.abs(stored.lat - lat) < 1e-6 && Math.abs(stored.lon - lon) < 1e-6);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/operator.png` });
  });

  it('edits and closes a lot, and the drivers\' map follows', async () => {
    const { page } = operatorPage;
    const item = page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"]');
    await item.locator('button[data-action=edit]').click();
    await page.fill('#f-capacity', '25');
    await page.click('#lot-save');
    await page.waitForFunction(() => document.querySelector('#own-lots [data-lot-id="yan-an-rd-car-park"] .badge')?.textContent?.endsWith('/ 25'));
    await item.locator('button[data-action=close]').click();
    await page.waitForFunction(() => document.querySelector('#own-lots [data-lot-id="yan-an-rd-car-park"] .badge')?.classList.contains('av-closed'));
    await driversPage.page.waitForFunction(
      () => document.querySelector('.lot-marker[data-lot-id="yan-an-rd-car-park"]')?.classList.contains('av-closed'),
      undefined,
      { timeout: 10_000 },
    );
    const trail = await api(t.app.httpUrl, 'GET', '/api/lots/yan-an-rd-car-park/audit', { token });
    assert.deepEqual(trail.body.entries.map((e: { action: string }) => e.action), ['lot.create', 'lot.update', 'lot.update']);
    assert.deepEqual(trail.body.entries[1].changes, { capacity: { from: 20, to: 25 } }, 'only the changed field was sent');
  });

  it('creates a gateway credential and shows its connection details once, to copy', async () => {
    const { page } = operatorPage;
    page.once('dialog', (dialog) => void dialog.accept('North gate'));
    await page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"] button[data-action=gateway]').click();
    await page.locator('#gateway-view').waitFor({ state: 'visible' });
    const details = await page.inputValue('#gateway-details');
    assert.match(details, /Broker: mqtt:\/\/127\.0\.0\.1:\d+/);
    assert.match(details, /Username: gw-[0-9a-f]{10}/);
    assert.match(details, /Password: kwg_/);
    assert.match(details, /parking\/lots\/yan-an-rd-car-park\/count/);
    // HTTP ingest, for a barrier system without MQTT: the same credential over HTTP Basic.
    assert.match(details, /POST http:\/\/127\.0\.0\.1:\d+\/api\/ingest\/lots\/yan-an-rd-car-park\/count/);
    assert.match(details, /curl -u 'gw-[0-9a-f]{10}:kwg_[^']+' .* http:\/\/127\.0\.0\.1:\d+\/api\/ingest\/lots\/yan-an-rd-car-park\/count/);
    await page.click('#gateway-copy');
    await page.locator('#gateway-copied:not(:empty)').waitFor();
    await page.click('#gateway-done');
    assert.equal(await page.inputValue('#gateway-details'), '', 'the secret leaves the page');
    await page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"] .gateway-chip').waitFor();
  });

  it('deletes a lot after confirmation', async () => {
    const { page } = operatorPage;
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"] button[data-action=delete]').click();
    await page.locator('#own-lots [data-lot-id="yan-an-rd-car-park"]').waitFor({ state: 'detached' });
    assert.equal(t.app.catalog.get('yan-an-rd-car-park'), undefined);
  });

  it("shows the API's field errors in Chinese on the Chinese page (zh), and nothing is stored", async () => {
    const chinese = await openPage(context, `${t.app.httpUrl}/operator?lang=zh`);
    const { page } = chinese;
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#workspace').waitFor({ state: 'visible' });
    await page.click('#add-lot');
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    await page.fill('#f-capacity', '20');
    await page.fill('#f-capacityCharging', '30');
    await page.fill('#f-maxHeightCm', '5000');
    await page.fill('#f-openingHours', 'all day long');
    await page.click('#lot-save');
    await page.locator('#e-name:not(:empty)').waitFor();
    const errors = Object.fromEntries(
      await Promise.all(['name', 'capacityCharging', 'maxHeightCm', 'openingHours'].map(async (f) => [f, (await page.textContent(`#e-${f}`)) ?? ''] as const)),
    );
    assert.deepEqual([errors.name, errors.capacityCharging, errors.maxHeightCm], ['不能为空', '不能超过总车位数（20）', '不能大于 1000']);
    assert.match(errors.openingHours!, /^不是有效的 OpenStreetMap opening_hours 格式/);
    for (const [field, message] of Object.entries(errors)) assert.doesNotMatch(message, /Invalid|expected|Too big|must/, `${field}: no English left`);
    assert.equal(t.app.catalog.size, 9);
    await page.screenshot({ path: `${ARTIFACTS}/operator-zh-errors.png` });
    await page.close();
    assert.deepEqual(chinese.problems, []);
  });

  it('ran both pages under the Content-Security-Policy with no violation or error', () => {
    assert.deepEqual(operatorPage.problems, []);
    assert.deepEqual(driversPage.problems, []);
  });
});
