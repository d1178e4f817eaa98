// The operator form's weekday-and-time editor in headless Chromium, in both
// languages (English on a desktop, Chinese on a phone): the table writes the
// OpenStreetMap string the lot is saved with, reopening the form shows the
// table again, and a string the table cannot show stays what is saved.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ADMIN_TOKEN, createOperator } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const row = (day: string) => `#hours-table [data-day="${day}"]`;

describe('web: the opening-hours editor on the operator page', function () {
  this.timeout(90_000);
  let browser: Browser;
  let t: TestApp;
  let token: string;
  let page: Page;

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000' });
    token = (await createOperator(t.app.httpUrl, 'Hours Operator')).token;
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });
  afterEach(async () => {
    await page?.close();
  });

  async function signIn(lang: 'en' | 'zh', options: BrowserContextOptions): Promise<string[]> {
    ({ page } = await offlinePage(browser, { ...options, locale: lang === 'zh' ? 'zh-CN' : 'en-GB' }));
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${t.app.httpUrl}/operator?lang=${lang}`);
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#workspace').waitFor({ state: 'visible' });
    return problems;
  }

  /** The table as the page shows it: each row's choice and its ranges. */
  const shownTable = () => page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll<HTMLElement>('#hours-table .hours-row')].map((row) => [
      row.dataset.day,
      [row.querySelector('select')!.value, ...[...row.querySelectorAll<HTMLInputElement>('.hours-range input')].map((input) => input.value)].join(' '),
    ]),
  ));

  for (const [lang, options, id] of [['en', DESKTOP, 'hours-desktop-en'], ['zh', PHONE, 'hours-phone-zh']] as const) {
    it(`sets Mo–Fr 07:00–22:00, Sa 08:00–20:00, Su closed with the table (${lang}, ${options === PHONE ? 'phone' : 'desktop'}): saved as the OSM string, shown as the table again`, async () => {
      const problems = await signIn(lang, options);
      await page.click('#add-lot');
      await page.locator('#lot-form').waitFor({ state: 'visible' });
      assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'unset');
      assert.match((await page.textContent('#hours-status')) ?? '', lang === 'en' ? /No opening hours set/ : /尚未设置开放时间/);
      assert.match((await page.textContent(`${row('Mo')} .hours-day`)) ?? '', lang === 'en' ? /^Monday$/ : /^周一$/);

      await page.fill('#f-name', `营业时间测试 ${lang}`);
      await page.fill('#f-nameEn', `Hours Test ${lang}`);
      await page.fill('#f-capacity', '40');
      await page.fill('#f-id', id);
      await page.selectOption('#hours-Mo', 'ranges');
      await page.fill(`${row('Mo')} .hours-from`, '07:00');
      await page.fill(`${row('Mo')} .hours-to`, '22:00');
      await page.click('#hours-copy-weekdays');
      await page.selectOption('#hours-Sa', 'ranges');
      await page.fill(`${row('Sa')} .hours-from`, '08:00');
      await page.fill(`${row('Sa')} .hours-to`, '20:00');
      await page.selectOption('#hours-Su', 'closed');
      assert.equal(await page.inputValue('#f-openingHours'), 'Mo-Fr 07:00-22:00; Sa 08:00-20:00; Su off', 'the table wrote the text field');
      assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'table');
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      await page.locator('#hours-table').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${ARTIFACTS_DIR}/operator-hours-${lang}.png` });

      await page.click('#lot-save');
      await page.locator(`#own-lots [data-lot-id="${id}"]`).waitFor();
      assert.equal(t.app.catalog.get(id)?.openingHours, 'Mo-Fr 07:00-22:00; Sa 08:00-20:00; Su off');

      await page.click(`#own-lots [data-lot-id="${id}"] button[data-action=edit]`);
      await page.locator('#lot-form').waitFor({ state: 'visible' });
      assert.deepEqual(await shownTable(), {
        Mo: 'ranges 07:00 22:00', Tu: 'ranges 07:00 22:00', We: 'ranges 07:00 22:00', Th: 'ranges 07:00 22:00', Fr: 'ranges 07:00 22:00',
        Sa: 'ranges 08:00 20:00', Su: 'closed', PH: 'usual',
      });

      // Public holidays closed, and a second range on Saturday: only the changed field is sent.
      await page.selectOption('#hours-PH', 'closed');
      await page.click(`${row('Sa')} .hours-add`);
      await page.locator(`${row('Sa')} .hours-range >> nth=1`).waitFor();
      await page.fill(`${row('Sa')} .hours-range >> nth=1 >> .hours-from`, '');
      assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'incomplete', 'a time missing: the text waits');
      assert.equal(await page.inputValue('#f-openingHours'), 'Mo-Fr 07:00-22:00; Sa 08:00-20:00,08:00-20:00; Su off; PH off');
      await page.fill(`${row('Sa')} .hours-range >> nth=1 >> .hours-from`, '21:00');
      await page.fill(`${row('Sa')} .hours-range >> nth=1 >> .hours-to`, '00:00');
      assert.equal(await page.inputValue('#f-openingHours'), 'Mo-Fr 07:00-22:00; Sa 08:00-20:00,21:00-24:00; Su off; PH off', '00:00 as an end is midnight');
      await page.click('#lot-save');
      await page.waitForFunction((lotId) => !document.querySelector('#lot-form:not([hidden])') && document.querySelector(`#own-lots [data-lot-id="${lotId}"]`), id);
      assert.equal(t.app.catalog.get(id)?.openingHours, 'Mo-Fr 07:00-22:00; Sa 08:00-20:00,21:00-24:00; Su off; PH off');
      assert.deepEqual(problems, []);
    });
  }

  it('keeps a string the table cannot show as the saved value, says so, and replaces it only when asked (en)', async () => {
    await signIn('en', DESKTOP);
    await page.click('#own-lots [data-lot-id="hours-desktop-en"] button[data-action=edit]');
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    await page.fill('#f-openingHours', 'Mo-Fr 22:00-02:00; PH off');
    assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'unreadable');
    assert.equal(await page.locator('#hours-Mo').isDisabled(), true, 'the table is off');
    assert.match((await page.textContent('#hours-status')) ?? '', /cannot show/);
    await page.click('#lot-save');
    await page.waitForFunction(() => document.querySelector('#lot-form')?.hasAttribute('hidden'));
    assert.equal(t.app.catalog.get('hours-desktop-en')?.openingHours, 'Mo-Fr 22:00-02:00; PH off', 'saved as written');

    await page.click('#own-lots [data-lot-id="hours-desktop-en"] button[data-action=edit]');
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'unreadable', 'reopened: still the text');
    await page.click('#hours-replace');
    assert.equal(await page.locator('#hours-Mo').isDisabled(), false);
    assert.equal(await page.inputValue('#f-openingHours'), '24/7');
    // Typed by an expert again, in a form the table can show: the table follows.
    await page.fill('#f-openingHours', 'Mo-Sa 09:00-18:00');
    assert.equal(await page.getAttribute('.hours-editor', 'data-state'), 'table');
    assert.equal((await shownTable()).Sa, 'ranges 09:00 18:00');
    assert.equal((await shownTable()).Su, 'closed');
    await page.click('#lot-cancel');
  });
});
