// Install and offline, the pure parts (web/src/offline-shell.ts, remembered.ts),
// run in Node: what the service worker keeps and how it serves its copy of the
// page, and how a kept lot is shown — never with a live number.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LotView } from '../../server/domain/lot.ts';
import { freshUntil, shownState } from '../../web/src/lot-display.ts';
import { offlinePageHtml, PAGE_URL, SHELL_URLS, shellKey } from '../../web/src/offline-shell.ts';
import { asRemembered, rememberedLot } from '../../web/src/remembered.ts';

const NOW = Date.parse('2026-11-25T02:00:00Z');

function lot(overrides: Partial<LotView> & Pick<LotView, 'id'>): LotView {
  return {
    name: overrides.id, nameEn: null, address: null, lat: 36.09, lon: 120.37, type: 'surface', status: 'open',
    openingHours: null, capacityDisabled: null, capacityCharging: null, capacityFamily: null, capacityWomen: null,
    baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null,
    freeCharging: null, freeDisabled: null, freeFamily: null, freeWomen: null,
    fee: null, priceInfo: null, priceInfoEn: null, maxHeightCm: null, staleAfterS: null,
    capacity: 100, free: 40, occupied: 60, availability: 'available', stale: false,
    updatedAt: new Date(NOW - 60_000).toISOString(), heardAt: new Date(NOW - 60_000).toISOString(), clamped: false,
    openNow: null, opensAt: null, closesAt: null,
    ...overrides,
  };
}

describe('web: install and offline — the app shell and the kept lots', () => {
  it('keeps everything the map page loads from the service', () => {
    const html = readFileSync('web/index.html', 'utf8');
    const loaded = [...html.matchAll(/<(?:link[^>]*rel="(?:stylesheet|manifest)"[^>]*href|script[^>]*src)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(loaded.length >= 5, loaded.join(' '));
    for (const url of loaded) assert.ok(SHELL_URLS.includes(url), `${url} is in the shell`);
    assert.ok(SHELL_URLS.includes(PAGE_URL));
    for (const lang of ['zh', 'en']) assert.ok(SHELL_URLS.includes(`/manifest.${lang}.webmanifest`));
  });

  it('answers the page for a navigation to / with any query, the shell by exact path, and leaves everything else to the network', () => {
    assert.equal(shellKey('/', '', true), '/');
    assert.equal(shellKey('/', '?lang=en', true), '/');
    assert.equal(shellKey('/operator', '', true), undefined, 'the operator page is not kept');
    assert.equal(shellKey('/api/docs', '', true), undefined);
    assert.equal(shellKey('/app.js', '', false), '/app.js');
    assert.equal(shellKey('/app.js', '?v=2', false), undefined);
    for (const path of ['/api/lots', '/socket.io/', '/operator.js', '/sw.js', '/metrics', '/api/lots/nanfeng-rd']) {
      assert.equal(shellKey(path, '', false), undefined, path);
    }
  });

  it('serves its copy of the page with the service’s clock moved on by how long it was kept, and says it is the copy', () => {
    const page = '<body data-tile-url="x" data-stale-after-s="900" data-server-time="1764036000000" data-time-zone="Asia/Shanghai">';
    const served = offlinePageHtml(page, 45 * 60_000);
    assert.equal(served, '<body data-tile-url="x" data-stale-after-s="900" data-server-time="1764038700000" data-offline-copy="1764036000000" data-time-zone="Asia/Shanghai">');
    // A device clock that went back does not make the copy younger than when it was sent.
    assert.match(offlinePageHtml(page, -5000), /data-server-time="1764036000000"/);
    assert.match(offlinePageHtml('<body data-server-time="">', 1000), /data-server-time="" data-offline-copy=""/);
  });

  it('shows a kept lot grey, with no number, whatever the clock says, and keeps its age and details', () => {
    const fresh = lot({ id: 'fresh' });
    assert.equal(shownState(fresh, NOW, freshUntil(fresh, 900)).free, 40, 'live, it shows its count');
    for (const kept of [fresh, lot({ id: 'full', free: 0, occupied: 100, availability: 'full' }), lot({ id: 'hours', openNow: true, closesAt: new Date(NOW + 3600_000).toISOString() })]) {
      const remembered = rememberedLot(kept);
      // Even a clock far behind (a phone's, or a copy's) cannot make it live.
      for (const at of [NOW, NOW - 3600_000, 0]) {
        assert.deepEqual(shownState(remembered, at, freshUntil(remembered, 900)), { availability: 'unknown', free: null }, kept.id);
      }
      assert.equal(remembered.updatedAt, kept.updatedAt, 'its age is told from its data time');
      assert.deepEqual([remembered.name, remembered.capacity, remembered.openingHours], [kept.name, kept.capacity, kept.openingHours]);
      assert.deepEqual([remembered.openNow, remembered.opensAt, remembered.closesAt], [null, null, null], 'what its hours said then is dropped');
    }
    assert.deepEqual(shownState(rememberedLot(lot({ id: 'works', status: 'under_construction', availability: 'closed', free: null })), NOW, -Infinity),
      { availability: 'closed', free: null }, 'a lot not open stays closed');
  });

  it('reads back only what this page keeps', () => {
    const lots = [lot({ id: 'a' }), lot({ id: 'b' })];
    assert.deepEqual(asRemembered({ version: 1, savedAt: NOW, lots }), { version: 1, savedAt: NOW, lots });
    assert.deepEqual(asRemembered({ version: 1, savedAt: NOW, lots: [lots[0], { id: 3 }, null] })?.lots, [lots[0]], 'broken lots are left out');
    for (const bad of [undefined, null, 'x', { version: 2, savedAt: NOW, lots }, { version: 1, savedAt: 'now', lots }, { version: 1, savedAt: NOW, lots: {} }]) {
      assert.equal(asRemembered(bad), undefined, JSON.stringify(bad));
    }
  });
});
