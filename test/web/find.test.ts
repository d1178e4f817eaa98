// Find and share on the drivers' map, in headless Chromium with no internet:
// the search box (an ARIA combobox) finds lots by pinyin initials, names and
// addresses, in both languages, on a phone and a desktop; a chosen lot opens
// on the map, even one outside the area the page holds; a lot's link
// (/lots/{id}, /?lot={id}) opens the map on it, an unknown one says so; the
// popup's share button shares the canonical link, or copies it.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';
import { addLots, testLot } from '../helpers/lots.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const popupOf = (id: string) => `.lot-popup[data-lot-id="${id}"]`;

describe('web: find and share', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;
  let external: string[];
  // A Wednesday morning: inside every lot's opening hours, whatever day the test runs.
  const clock = runningClock(zonedTime('2026-11-25T10:00', TEST_TIME_ZONE));

  const open = async (path: string, options: BrowserContextOptions = DESKTOP) => {
    ({ page, external } = await offlinePage(browser, options));
    await page.goto(`${t.app.httpUrl}${path}`);
    await page.locator('.lot-marker[data-lot-id], .lot-cluster').first().waitFor();
  };
  /**
   * Waits until an element has stayed where it is for 100 ms: the map may still be panning a popup
   * into view (Playwright's own check, two animation frames alike, can pass between two steps of
   * Leaflet's pan, and under faketime Chromium's frames come unevenly).
   */
  const untilStill = async (element: Locator) => {
    await element.waitFor();
    const at = async () => JSON.stringify(await element.boundingBox());
    for (let before = await at(), polls = 0; polls < 50; polls++) {
      await page.waitForTimeout(100);
      const now = await at();
      if (now === before) return;
      before = now;
    }
  };
  /** The ids of the search results, in order. */
  const resultIds = () => page.$$eval('#find-results [role="option"]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId));
  const typeQuery = async (text: string) => {
    await page.click('#find-input');
    await page.fill('#find-input', '');
    await page.keyboard.type(text);
    await page.locator('#find-results [role="option"]').first().waitFor();
  };

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({}, { clock });
    await addLots(t.app, [
      // Far from Shibei: never in the area the map holds at first.
      testLot({ id: 'beijing-west', name: '北京西站北广场停车场', nameEn: 'Beijing West Station North Car Park', address: '北京市丰台区莲花池东路118号', lat: 39.8966, lon: 116.3211 }),
      testLot({ id: 'markup-lot', name: '<img src=x onerror="window.__xss=1">标记停车场', nameEn: '<b>Markup</b> Car Park', address: '"><svg onload=window.__xss=2>', lat: 36.085, lon: 120.36 }),
    ]);
    mqtt = await connectMqtt(t.app.mqtt.url);
    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 100 });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    assert.deepEqual(external, [], 'only map tiles may come from elsewhere');
    await page?.close();
  });

  for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    for (const lang of ['zh', 'en'] as const) {
      it(`finds 南丰路 by its pinyin initials (nfl) and opens it from the keyboard: ${lang}, ${device}`, async () => {
        await open(`/?lang=${lang}`, options);
        const input = page.locator('#find-input');
        assert.equal(await input.getAttribute('role'), 'combobox');
        assert.equal(await input.getAttribute('aria-expanded'), 'false');
        assert.equal(await input.getAttribute('placeholder'), lang === 'zh' ? '搜索停车场：名称、拼音或地址' : 'Find a car park: name, pinyin or address');
        await typeQuery('nfl');
        assert.deepEqual(await resultIds(), ['nanfeng-rd']);
        assert.equal(await input.getAttribute('aria-expanded'), 'true');
        const option = page.locator('#find-results [role="option"]').first();
        assert.equal(await option.locator('.find-name').textContent(), lang === 'zh' ? '南丰路停车场' : 'Nanfeng Rd Car Park');
        assert.equal(await option.locator('.badge').textContent(), '50', 'the free spaces, as the map shows them');
        assert.match((await page.textContent('#find .find-status')) ?? '', lang === 'zh' ? /找到 1 个停车场/ : /1 car park found/);
        // Nothing is active until the arrow keys say so; then aria-activedescendant names the option.
        assert.equal(await input.getAttribute('aria-activedescendant'), null);
        await page.keyboard.press('ArrowDown');
        assert.equal(await input.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
        assert.equal(await option.getAttribute('aria-selected'), 'true');
        assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'the focus stays in the box');
        if (device === 'phone') {
          const small = await page.$$eval('#find-input, #find-results [role="option"]', (els) =>
            els.map((el) => el.getBoundingClientRect()).filter((box) => box.height < 43.9 || box.width < 43.9).length);
          assert.equal(small, 0, 'the box and its results are 44 px targets');
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= 390, `no sideways scrolling: ${width}`);
          mkdirSync(ARTIFACTS_DIR, { recursive: true });
          await page.screenshot({ path: `${ARTIFACTS_DIR}/find-phone-${lang}.png` });
        }
        await page.keyboard.press('Enter');
        await page.locator(popupOf('nanfeng-rd')).waitFor();
        assert.equal(await input.getAttribute('aria-expanded'), 'false');
        await page.waitForFunction(() => document.activeElement?.closest('.lot-popup') !== null);
        assert.ok(Number(await page.getAttribute('#map', 'data-zoom')) >= 17, 'zoomed in on the lot');
        if (device === 'phone') await page.screenshot({ path: `${ARTIFACTS_DIR}/find-phone-${lang}-chosen.png` });
        await page.keyboard.press('Escape');
        await page.locator('.lot-popup').waitFor({ state: 'detached' });
        assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'Escape goes back to the search box');
      });
    }
  }

  it('finds by Chinese name, English name, full and mixed pinyin and address, best match first, and says when nothing matches', async () => {
    await open('/?lang=en');
    await typeQuery('聊城');
    assert.deepEqual(await resultIds(), ['liaocheng-rd']);
    await typeQuery('cruise');
    assert.deepEqual(await resultIds(), ['cruise-port']);
    await typeQuery('nanfenglu');
    assert.deepEqual(await resultIds(), ['nanfeng-rd']);
    await typeQuery('liaoning'); // only in an address: 市北区辽宁路街道贮水山路14号
    assert.deepEqual(await resultIds(), ['zhushuishan-rd-14']);
    // "shan": a syllable of several names; those whose name starts with it come first.
    await typeQuery('anshan');
    assert.equal((await resultIds())[0], 'anshan-5th-rd');
    // Arrow keys wrap round; Escape closes the list, a second Escape empties the box.
    await page.fill('#find-input', '');
    await page.keyboard.type('zxqy');
    await page.locator('#find .find-note').waitFor();
    assert.equal(await page.textContent('#find .find-note'), 'No car park matches “zxqy”');
    assert.equal(await page.getAttribute('#find-input', 'aria-expanded'), 'false');
    await typeQuery('rd');
    const count = (await resultIds()).length;
    assert.ok(count > 1, `several lots on a road (Rd): ${count}`);
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.getAttribute('#find-input', 'aria-activedescendant'), `find-option-${count - 1}`);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getAttribute('#find-input', 'aria-activedescendant'), 'find-option-0');
    await page.keyboard.press('Escape');
    assert.equal(await page.getAttribute('#find-input', 'aria-expanded'), 'false');
    assert.equal(await page.inputValue('#find-input'), 'rd');
    await page.keyboard.press('Escape');
    assert.equal(await page.inputValue('#find-input'), '');
  });

  it('opens a lot far outside the area the map holds, once the live feed brings it', async () => {
    await open('/');
    assert.equal(await page.locator('.lot-marker[data-lot-id="beijing-west"]').count(), 0);
    await typeQuery('bjxz');
    assert.deepEqual(await resultIds(), ['beijing-west']);
    await page.click('#find-results [data-lot-id="beijing-west"]');
    await page.locator(popupOf('beijing-west')).waitFor({ timeout: 15_000 });
    assert.match((await page.textContent(popupOf('beijing-west'))) ?? '', /北京西站北广场停车场/);
  });

  it('shows operator-supplied names in results as text, never as markup', async () => {
    await open('/');
    await typeQuery('标记');
    assert.deepEqual(await resultIds(), ['markup-lot']);
    assert.match((await page.textContent('#find-results')) ?? '', /<img src=x onerror=/);
    assert.equal(await page.locator('#find-results img, #find-results svg, #find-results b').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  for (const path of ['/lots/nanfeng-rd', '/?lot=nanfeng-rd&lang=en']) {
    it(`opens the map on the lot of a shared link, ${path}, with its popup`, async () => {
      ({ page, external } = await offlinePage(browser, PHONE));
      const res = await page.goto(`${t.app.httpUrl}${path}`);
      assert.equal(res?.status(), 200);
      await page.locator(popupOf('nanfeng-rd')).waitFor();
      assert.ok(Number(await page.getAttribute('#map', 'data-zoom')) >= 17);
      assert.match((await page.textContent(popupOf('nanfeng-rd'))) ?? '', path.includes('lang=en') ? /Nanfeng Rd Car Park/ : /南丰路停车场/);
    });
  }

  it('says a linked lot that does not exist is not there (404), and still shows the map', async () => {
    ({ page, external } = await offlinePage(browser));
    const res = await page.goto(`${t.app.httpUrl}/lots/no-such-lot`);
    assert.equal(res?.status(), 404, 'a 404 for link checkers and previews');
    await page.locator('#notice').waitFor();
    assert.equal(await page.textContent('#notice'), '找不到这个停车场：链接可能有误，或停车场已被删除。');
    await page.locator('.lot-marker[data-lot-id], .lot-cluster').first().waitFor();
    await page.goto(`${t.app.httpUrl}/?lot=No%20Such%20Lot&lang=en`);
    await page.locator('#notice').waitFor();
    assert.match((await page.textContent('#notice')) ?? '', /This car park was not found/);
  });

  it('shares a lot’s canonical link with the Web Share API where there is one', async () => {
    ({ page, external } = await offlinePage(browser, PHONE));
    // (A string: a function here would be compiled with helpers the page does not have.)
    await page.addInitScript({
      content: `window.__shared = []; Object.defineProperty(navigator, 'share', { configurable: true, value: (data) => { window.__shared.push(data); return Promise.resolve(); } });`,
    });
    await page.goto(`${t.app.httpUrl}/?lot=nanfeng-rd`);
    const button = page.locator(`${popupOf('nanfeng-rd')} button.share`);
    await untilStill(button);
    await button.click();
    await page.waitForFunction(() => (window as unknown as { __shared: unknown[] }).__shared.length === 1);
    const shared = await page.evaluate(() => (window as unknown as { __shared: ShareData[] }).__shared[0]);
    assert.deepEqual(shared, { title: '南丰路停车场', text: '南丰路停车场', url: `${t.app.httpUrl}/lots/nanfeng-rd` });
  });

  it('keeps a tap on the share button when the lot changes between press and release, and redraws the popup after', async () => {
    ({ page, external } = await offlinePage(browser, DESKTOP));
    await page.addInitScript({
      content: `window.__shared = []; Object.defineProperty(navigator, 'share', { configurable: true, value: (data) => { window.__shared.push(data); return Promise.resolve(); } });`,
    });
    await page.goto(`${t.app.httpUrl}/?lot=nanfeng-rd&lang=en`);
    const button = page.locator(`${popupOf('nanfeng-rd')} button.share`);
    await untilStill(button);
    await button.hover();
    const box = (await button.boundingBox())!;
    const onButton = await page.evaluate(([x, y]) => Boolean(document.elementFromPoint(x!, y!)?.closest('button.share')), [box.x + box.width / 2, box.y + box.height / 2]);
    assert.ok(onButton, 'the pointer is on the share button');
    await page.mouse.down();
    try {
      // The lot changes while the button is held: its marker shows it, its popup waits.
      await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 90 });
      await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '60');
      assert.doesNotMatch((await page.textContent(popupOf('nanfeng-rd'))) ?? '', /\b60\b/);
      await page.mouse.up();
      await page.waitForFunction(() => (window as unknown as { __shared: unknown[] }).__shared.length === 1);
      // Then the popup is drawn again with what changed meanwhile.
      await page.waitForFunction(() => /\b60\b/.test(document.querySelector('.lot-popup[data-lot-id="nanfeng-rd"]')?.textContent ?? ''));
    } finally {
      await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 100 });
    }
  });

  it('copies the canonical link where there is no Web Share API, and the link opens the lot', async () => {
    ({ page, external } = await offlinePage(browser, { ...DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] }));
    await page.addInitScript({ content: `Object.defineProperty(navigator, 'share', { configurable: true, value: undefined });` });
    await page.goto(`${t.app.httpUrl}/?lang=en`);
    await typeQuery('liaocheng');
    await page.keyboard.press('Enter');
    const button = page.locator(`${popupOf('liaocheng-rd')} button.share`);
    assert.equal(await button.getAttribute('aria-label'), 'Share a link to Liaocheng Rd Car Park');
    await button.click();
    await page.waitForFunction(() => document.querySelector('.lot-popup .share-status')?.textContent === 'Link copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, `${t.app.httpUrl}/lots/liaocheng-rd`);
    await page.goto(copied);
    await page.locator(popupOf('liaocheng-rd')).waitFor();
  });
});
