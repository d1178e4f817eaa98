// The operator page's alerts in headless Chromium: an operator adds a
// webhook (a private target refused with the API's words beside the field,
// the secret shown once), sends a test, and reads the delivery log — one
// receiver that accepts, one that fails (attempts, its answer, the next
// retry) — in English and in Chinese, every string set as text.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, createOperator } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { webhookReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

describe('web: alerts (webhooks) and their delivery log on the operator page', function () {
  this.timeout(90_000);
  let browser: Browser;
  let t: TestApp;
  let page: Page;
  let token: string;
  let good: Receiver;
  let failing: Receiver;
  const problems: string[] = [];
  let secret = '';

  const row = (webhook: string, status: string) => page.locator(`#webhook-list [data-webhook-id="${webhook}"] .delivery-log tr.st-${status}`);
  const webhookIdOf = async (url: string) =>
    page.locator('#webhook-list .webhook').filter({ has: page.locator('.url', { hasText: url }) }).first().getAttribute('data-webhook-id');

  before(async function () {
    browser = await launchBrowser(this);
    good = await webhookReceiver({ secret: () => secret });
    failing = await webhookReceiver({ secret: () => secret, answer: () => 503 });
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: '3600000' });
    token = (await createOperator(t.app.httpUrl, 'Alerts Operator')).token;
    ({ page } = await offlinePage(browser, { viewport: { width: 1400, height: 900 } }));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => msg.text().startsWith('CSP ') && problems.push(msg.text()));
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)));
    await page.goto(`${t.app.httpUrl}/operator?lang=en`);
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#workspace').waitFor({ state: 'visible' });
  });
  after(async () => {
    await page?.close().catch(() => {});
    await browser?.close();
    await t?.stop();
    await good?.close();
    await failing?.close();
  });

  it('refuses a private target with the API\'s reason beside the field, and adds a webhook showing its secret once', async () => {
    await page.click('#show-webhooks');
    await page.locator('#webhooks-view').waitFor({ state: 'visible' });
    assert.match((await page.textContent('#webhook-list')) ?? '', /No webhooks yet/);
    await page.fill('#webhook-url', 'http://192.168.1.1/hook');
    await page.click('#webhook-save');
    await page.locator('#e-webhook-url:not(:empty)').waitFor();
    assert.match((await page.textContent('#e-webhook-url')) ?? '', /192\.168\.1\.1 is a private address: webhooks may not reach private or local networks/);

    await page.fill('#webhook-url', good.url);
    await page.fill('#webhook-description', '<img src=x onerror="window.__xss=1">night shift pager');
    await page.click('#webhook-save');
    await page.locator('#webhook-secret:not([hidden])').waitFor();
    secret = (await page.textContent('#webhook-secret-value')) ?? '';
    assert.match(secret, /^kwh_[A-Za-z0-9_-]{43}$/);
    assert.equal(await page.textContent('#e-webhook-url'), '', 'the old error is gone');
    const item = page.locator('#webhook-list .webhook').first();
    assert.equal(await item.locator('.url').textContent(), good.url);
    assert.match((await item.locator('.description').textContent()) ?? '', /^<img src=x onerror=/);
    assert.equal(await page.locator('#webhook-list img').count(), 0, 'a description is text, never HTML');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await item.locator('.meta').textContent(), 'gateway offline · data stale · count clamped · lot full', 'the default events: all but lot changed');
  });

  it('sends a test and shows it delivered in the log: status, attempts, the answer', async () => {
    const id = (await webhookIdOf(good.url))!;
    await page.locator(`#webhook-list [data-webhook-id="${id}"] button[data-action=test]`).click();
    await row(id, 'delivered').waitFor({ timeout: 15_000 });
    const cells = async (status: string) => Object.fromEntries(
      await Promise.all(['event', 'status', 'attempts', 'response', 'next', 'error'].map(async (c) => [c, (await row(id, status).first().locator(`td.${c}`).textContent()) ?? ''] as const)),
    );
    assert.deepEqual(await cells('delivered'), { event: 'test', status: 'delivered', attempts: '1/12', response: '200', next: '–', error: '' });
    assert.equal(good.received.length, 1);
    assert.ok(good.received[0]!.verified, 'signed with the secret the page showed');
  });

  it('shows a failing receiver\'s delivery pending, with its answer, the error and when it is tried next', async () => {
    await page.fill('#webhook-url', failing.url);
    await page.click('#webhook-save');
    await page.locator('#webhook-list .webhook').nth(1).waitFor();
    const id = (await webhookIdOf(failing.url))!;
    await page.locator(`#webhook-list [data-webhook-id="${id}"] button[data-action=test]`).click();
    // The log refreshes by itself once the attempt has failed.
    await page.waitForFunction((webhook) => document.querySelector(`[data-webhook-id="${webhook}"] tr.st-pending td.response`)?.textContent === '503', id, { timeout: 15_000 });
    const pending = row(id, 'pending').first();
    assert.equal(await pending.locator('td.attempts').textContent(), '1/12');
    assert.equal(await pending.locator('td.error').textContent(), 'HTTP 503: receiver says no');
    assert.notEqual(await pending.locator('td.next').textContent(), '–', 'the next retry is shown');
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/operator-webhooks.png` });
  });

  it('speaks Chinese on the Chinese page, and switches a webhook off', async () => {
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'zh');
    assert.equal(await page.textContent('#webhooks-view h2'), '告警（Webhook）');
    const id = (await webhookIdOf(failing.url))!;
    assert.equal(await row(id, 'pending').first().locator('td.status').textContent(), '待投递');
    assert.equal(await row(id, 'pending').first().locator('td.event').textContent(), '测试');
    await page.locator(`#webhook-list [data-webhook-id="${id}"] button[data-action=toggle]`).click();
    await page.waitForFunction((webhook) => document.querySelector(`[data-webhook-id="${webhook}"] .head .hint`)?.textContent === '（已停用）', id);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/operator-webhooks-zh.png` });
    await page.click('#lang-toggle');
  });

  it('ran under the Content-Security-Policy with no violation or error', () => {
    assert.deepEqual(problems, []);
  });
});
