// What the map shows for a lot (web/src/lot-display.ts): pure rules, run in Node.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import { arrivalShown, clusterText } from '../../web/src/arrival-display.ts';
import { badgeText, clusterBadgeText, clusterSummary, freshUntil, hasRoomFor, kindsFreeShown, nearestLots, shownState } from '../../web/src/lot-display.ts';
import { t } from '../../web/src/i18n.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
const DEFAULT_STALE_S = 900;

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
const shown = (l: LotView, at = NOW) => shownState(l, at, freshUntil(l, DEFAULT_STALE_S));
const entry = (l: LotView) => ({ lot: l, shown: shown(l) });

describe('web: what a lot shows', () => {
  it('is fresh until its data’s time plus its threshold (its own, else the service’s)', () => {
    assert.equal(freshUntil(lot({ id: 'a' }), DEFAULT_STALE_S), NOW - 60_000 + 900_000);
    assert.equal(freshUntil(lot({ id: 'a', staleAfterS: 120 }), DEFAULT_STALE_S), NOW - 60_000 + 120_000);
  });

  it('stays fresh while heartbeats come, however old the count (heardAt, not updatedAt)', () => {
    const quiet = lot({ id: 'a', updatedAt: new Date(NOW - 20 * 60_000).toISOString(), heardAt: new Date(NOW - 30_000).toISOString() });
    assert.equal(freshUntil(quiet, DEFAULT_STALE_S), NOW - 30_000 + 900_000);
    assert.deepEqual(shown(quiet), { availability: 'available', free: 40 });
  });

  it('is never fresh with no data, or when the service already called it stale', () => {
    assert.equal(freshUntil(lot({ id: 'a', free: null, occupied: null, updatedAt: null, availability: 'unknown' }), DEFAULT_STALE_S), -Infinity);
    assert.equal(freshUntil(lot({ id: 'a', stale: true, availability: 'unknown' }), DEFAULT_STALE_S), -Infinity);
  });

  it('shows the free count of an open lot with fresh data, in the service’s colour', () => {
    assert.deepEqual(shown(lot({ id: 'a' })), { availability: 'available', free: 40 });
    assert.deepEqual(shown(lot({ id: 'a', free: 0, availability: 'full' })), { availability: 'full', free: 0 });
    assert.equal(badgeText(shown(lot({ id: 'a' }))), '40');
  });

  it('shows no number, and grey, once the data has aged past the threshold here, whatever the service said then', () => {
    const aging = lot({ id: 'a', staleAfterS: 120 });
    assert.deepEqual(shown(aging, NOW + 59_000), { availability: 'available', free: 40 });
    assert.deepEqual(shown(aging, NOW + 61_000), { availability: 'unknown', free: null });
    assert.equal(badgeText(shown(aging, NOW + 61_000)), '–');
  });

  it('shows no number for a stale lot (the service keeps its last count, flagged)', () => {
    assert.deepEqual(shown(lot({ id: 'a', stale: true, availability: 'unknown' })), { availability: 'unknown', free: null });
  });

  it('shows a lot that is not open as closed, without its sensors’ count', () => {
    for (const status of ['planned', 'under_construction', 'closed'] as const) {
      assert.deepEqual(shown(lot({ id: 'a', status, availability: 'closed' })), { availability: 'closed', free: null });
    }
  });

  it('shows an open lot outside its opening hours as closed, without a count, and leaves it out of cluster sums', () => {
    const shut = lot({ id: 'shut', status: 'open', openingHours: 'Mo-Su 06:00-07:00', availability: 'closed', free: 42,
      openNow: false, opensAt: new Date(NOW + 3600_000).toISOString() });
    assert.deepEqual(shown(shut), { availability: 'closed', free: null });
    assert.equal(badgeText(shown(shut)), '–');
    assert.deepEqual(clusterSummary([entry(shut)]), { free: null, availability: 'closed', lots: 1, closedByHours: 1, notOpen: 0 });
  });

  it('sums a cluster’s free spaces over its open lots with fresh data only', () => {
    const summary = clusterSummary([
      entry(lot({ id: 'a', free: 40 })),
      entry(lot({ id: 'b', free: 5, capacity: 50 })),
      entry(lot({ id: 'stale', free: 99, stale: true })),
      entry(lot({ id: 'closed', free: 77, status: 'closed', availability: 'closed' })),
      entry(lot({ id: 'none', free: null, updatedAt: null })),
    ]);
    assert.deepEqual(summary, { free: 45, availability: 'available', lots: 5, closedByHours: 0, notOpen: 1 });
  });

  it('colours a cluster by its summed free share: almost full at 10 % or less, full at none', () => {
    assert.equal(clusterSummary([entry(lot({ id: 'a', free: 10, capacity: 100 }))]).availability, 'almost_full');
    assert.equal(clusterSummary([entry(lot({ id: 'a', free: 0 })), entry(lot({ id: 'b', free: 0 }))]).availability, 'full');
    // As the service shows them: a lot that is not open is `closed`.
    assert.deepEqual(clusterSummary([entry(lot({ id: 'a', status: 'planned', availability: 'closed' }))]), { free: null, availability: 'closed', lots: 1, closedByHours: 0, notOpen: 1 });
    assert.deepEqual(clusterSummary([entry(lot({ id: 'a', stale: true })), entry(lot({ id: 'b', status: 'planned', availability: 'closed' }))]),
      { free: null, availability: 'unknown', lots: 2, closedByHours: 0, notOpen: 1 });
  });

  describe('a cluster’s name (clusterText)', () => {
    const SHANGHAI = 'Asia/Shanghai';
    /** Open, but closed by its opening hours now (until 07:00 tomorrow, Shanghai time), its count fresh. */
    const shut = (id: string) => lot({ id, openingHours: 'Mo-Su 07:00-22:00', availability: 'closed', openNow: false, opensAt: '2026-11-28T23:00:00Z' });
    const silent = (id: string) => lot({ id, free: null, occupied: null, updatedAt: null, heardAt: null, availability: 'unknown' });
    const planned = (id: string) => lot({ id, status: 'planned', availability: 'closed', free: null, occupied: null });
    const name = (members: LotView[], lang: 'en' | 'zh') => clusterText(clusterSummary(members.map(entry)), lang, SHANGHAI);

    it('says "closed now" when the opening hours close every lot in it, not "no recent data": both languages', () => {
      const all = [shut('a'), shut('b'), shut('c')];
      assert.equal(name(all, 'en'), '3 car parks, closed now');
      assert.equal(name(all, 'zh'), '3 个停车场，休息中');
      const summary = clusterSummary(all.map(entry));
      assert.deepEqual([summary.availability, clusterBadgeText(summary)], ['closed', '–']);
    });

    it('says "no recent data" and "not open" when every lot is so, as a lot’s own line does', () => {
      assert.equal(name([silent('a'), lot({ id: 'b', stale: true })], 'en'), '2 car parks, no recent data');
      assert.equal(name([silent('a'), lot({ id: 'b', stale: true })], 'zh'), '2 个停车场，暂无最新数据');
      assert.equal(name([planned('a'), planned('b')], 'en'), '2 car parks, not open');
      assert.equal(name([planned('a'), planned('b')], 'zh'), '2 个停车场，未开放');
    });

    it('counts each state in a cluster whose lots differ, none counted as another', () => {
      const mixed = [shut('a'), shut('b'), silent('c')];
      assert.equal(name(mixed, 'en'), '3 car parks: 2 closed now, 1 with no recent data');
      assert.equal(name(mixed, 'zh'), '3 个停车场：2 个休息中，1 个暂无最新数据');
      assert.equal(clusterSummary(mixed.map(entry)).availability, 'unknown', 'grey: one may be open, with no data');
      const closedEveryWay = [shut('a'), planned('b'), planned('c'), silent('d')];
      assert.equal(name(closedEveryWay, 'en'), '4 car parks: 1 closed now, 2 not open, 1 with no recent data');
      assert.equal(name(closedEveryWay, 'zh'), '4 个停车场：1 个休息中，2 个未开放，1 个暂无最新数据');
      assert.equal(name([shut('a'), planned('b')], 'en'), '2 car parks: 1 closed now, 1 not open');
      assert.equal(clusterSummary([shut('a'), planned('b')].map(entry)).availability, 'closed');
    });

    it('says the free spaces of the lots with a count, whatever the others show', () => {
      assert.equal(name([shut('a'), silent('b'), lot({ id: 'c', free: 12 })], 'en'), '3 car parks, 12 free spaces');
      assert.equal(name([shut('a'), silent('b'), lot({ id: 'c', free: 12 })], 'zh'), '3 个停车场，共 12 个空位');
    });

    it('in "arrive in" mode, says the lots are not open at the arrival when their hours close them all then, even lots open now', () => {
      const at = NOW + 30 * 60_000; // 16:30 in Shanghai
      const forecast = { at: new Date(at).toISOString(), free: 30, low: 25, high: 35 };
      const closingSoon = lot({ id: 'closing', openNow: true, closesAt: new Date(NOW + 20 * 60_000).toISOString() });
      const members = [closingSoon, shut('b')].map((l) => ({ lot: l, shown: arrivalShown(l, forecast, at) }));
      const summary = clusterSummary(members);
      assert.deepEqual([summary.availability, summary.closedByHours, clusterBadgeText(summary)], ['closed', 2, '–']);
      assert.equal(clusterText(summary, 'en', SHANGHAI), '2 car parks, not open at 16:30');
      assert.equal(clusterText(summary, 'zh', SHANGHAI), '2 个停车场，16:30 未开放');
      // Closed now but open by the arrival, with no forecast yet: not closed, and said as a forecast pending.
      const opening = lot({ id: 'opening', availability: 'closed', openNow: false, opensAt: new Date(NOW + 10 * 60_000).toISOString() });
      const pending = clusterSummary([opening, shut('b')].map((l) => ({ lot: l, shown: arrivalShown(l, undefined, at) })));
      assert.deepEqual([pending.availability, clusterBadgeText(pending)], ['unknown', '?']);
      assert.equal(clusterText(pending, 'en', SHANGHAI), '2 car parks, no forecast for 16:30');
    });
  });

  it('lists lots with free spaces first, nearest first, then the rest, nearest first, up to a limit', () => {
    const from = { lat: 36.09, lon: 120.37 };
    const lots = [
      lot({ id: 'far-free', lat: 36.12 }),
      lot({ id: 'near-full', lat: 36.0901, free: 0, availability: 'full' }),
      lot({ id: 'near-free', lat: 36.091 }),
      lot({ id: 'mid-closed', lat: 36.1, status: 'closed', availability: 'closed' }),
      lot({ id: 'mid-stale', lat: 36.095, stale: true, availability: 'unknown' }),
    ].map(entry);
    const all = nearestLots(lots, from, 10);
    assert.deepEqual(all.shown.map((n) => n.lot.id), ['near-free', 'far-free', 'near-full', 'mid-stale', 'mid-closed']);
    assert.ok(all.shown[0]!.distanceM > 100 && all.shown[0]!.distanceM < 120, String(all.shown[0]!.distanceM));
    const two = nearestLots(lots, from, 2);
    assert.deepEqual([two.shown.map((n) => n.lot.id), two.total], [['near-free', 'far-free'], 5]);
  });

  it('shows a kind\'s live free bays only while the lot\'s count is shown live, and the filters put a lot with none free after those with room', () => {
    const ev = lot({ id: 'ev', freeCharging: 0, freeDisabled: 2 });
    assert.deepEqual(kindsFreeShown(ev, shown(ev)), [['charging', 0], ['disabled', 2]]);
    assert.deepEqual(kindsFreeShown(ev, shown(ev), new Set(['disabled'] as const)), [['disabled', 2]]);
    assert.deepEqual(kindsFreeShown(ev, shown(ev, NOW + 3_600_000)), [], 'aged past its threshold on the page: no live count');
    assert.deepEqual(kindsFreeShown(ev, { ...shown(ev), forecast: { at: NOW, low: 1, high: 3 } }), [], 'never as a forecast');
    assert.equal(hasRoomFor(ev, shown(ev), new Set(['ev'] as const)), false);
    assert.equal(hasRoomFor(ev, shown(ev), new Set(['disabled'] as const)), true);
    const unmeasured = lot({ id: 'unmeasured', capacityCharging: 4 });
    assert.equal(hasRoomFor(unmeasured, shown(unmeasured), new Set(['ev'] as const)), true, 'not measured: not ruled out');
    const order = nearestLots([entry(ev), entry(unmeasured)], { lat: 36.09, lon: 120.37 }, 10, (l, s) => hasRoomFor(l, s, new Set(['ev'] as const)));
    assert.deepEqual(order.shown.map((n) => n.lot.id), ['unmeasured', 'ev']);
  });

  it('says a kind\'s free bays in both languages', () => {
    assert.equal(t('en').kindFreeNow.charging(1), '1 charging bay free now');
    assert.equal(t('en').kindFreeNow.women(2), "2 women's bays free now");
    assert.equal(t('en').kindFreeNow.charging(0), 'no charging bay free now');
    assert.equal(t('zh').kindFreeNow.charging(1), '1 个充电车位空闲');
    assert.equal(t('zh').kindFreeNow.disabled(0), '无障碍车位已满');
  });
});
