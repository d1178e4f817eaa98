import assert from 'node:assert/strict';
import { classifyAvailability, lotMetaSchema, toLotView, type LotMeta } from '../../server/domain/lot.ts';
import type { LiveState } from '../../server/domain/live.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
const meta: LotMeta = lotMetaSchema.parse({
  id: 'hangzhou-rd-7', name: '杭州路7号停车场', nameEn: 'Hangzhou Rd No. 7 Car Park', address: '市北区杭州路7号',
  lat: 36.0935, lon: 120.37, type: 'surface', status: 'open', capacity: 32,
});
const live = (occupied: number, ageMs: number, extra: Partial<LiveState> = {}): LiveState => ({
  capacity: 32, occupied, ts: NOW - ageMs, seq: null, clamped: false, receivedAt: NOW - ageMs, ...extra,
});

describe('domain: availability', () => {
  it('classifies free spaces: none → full, few → almost_full, else available', () => {
    assert.equal(classifyAvailability('open', 100, 0, false), 'full');
    assert.equal(classifyAvailability('open', 100, 10, false), 'almost_full');
    assert.equal(classifyAvailability('open', 100, 11, false), 'available');
    assert.equal(classifyAvailability('open', 5, 1, false), 'almost_full');
  });

  it('shows a closed lot as closed, never full', () => {
    assert.equal(classifyAvailability('closed', 100, 0, false), 'closed');
  });

  it('shows a planned or unfinished lot as closed', () => {
    assert.equal(classifyAvailability('planned', 100, 50, false), 'closed');
    assert.equal(classifyAvailability('under_construction', 100, 50, false), 'closed');
  });

  it('shows an open lot without data, or with stale data, as unknown', () => {
    assert.equal(classifyAvailability('open', 100, null, false), 'unknown');
    assert.equal(classifyAvailability('open', 100, 50, true), 'unknown');
  });
});

describe('domain: the lot view', () => {
  it('has null free, occupied and updatedAt before any data', () => {
    const view = toLotView(meta, null, NOW, 900);
    assert.deepEqual([view.free, view.occupied, view.updatedAt, view.availability, view.stale], [null, null, null, 'unknown', false]);
  });

  it('derives free from the live count and shows the sensor time', () => {
    const view = toLotView(meta, live(10, 5000), NOW, 900);
    assert.deepEqual([view.free, view.occupied, view.availability], [22, 10, 'available']);
    assert.equal(view.updatedAt, new Date(NOW - 5000).toISOString());
  });

  it('turns stale after STALE_AFTER_S → availability unknown, the count still shown', () => {
    const view = toLotView(meta, live(10, 901_000), NOW, 900);
    assert.deepEqual([view.stale, view.availability, view.free], [true, 'unknown', 22]);
  });

  it('uses the lot’s own staleAfterS over the default', () => {
    assert.equal(toLotView({ ...meta, staleAfterS: 60 }, live(10, 61_000), NOW, 900).stale, true);
    assert.equal(toLotView({ ...meta, staleAfterS: 3600 }, live(10, 901_000), NOW, 900).stale, false);
  });

  it('shows the live capacity when the gateway reported one', () => {
    const view = toLotView(meta, live(10, 0, { capacity: 20 }), NOW, 900);
    assert.deepEqual([view.capacity, view.free], [20, 10]);
  });

  it('says what its opening hours say: closed now and when it opens, or open and when it closes; nothing without hours', () => {
    const hours = { ...meta, openingHours: 'Mo-Fr 07:00-22:00' };
    const opens = Date.parse('2026-11-26T07:00:00+08:00');
    const closed = toLotView(hours, live(10, 5000), NOW, 900, { open: false, changesAt: opens });
    assert.deepEqual([closed.availability, closed.free, closed.openNow, closed.opensAt, closed.closesAt], ['closed', 22, false, new Date(opens).toISOString(), null]);
    const open = toLotView(hours, live(10, 5000), NOW, 900, { open: true, changesAt: opens });
    assert.deepEqual([open.availability, open.openNow, open.opensAt, open.closesAt], ['available', true, null, new Date(opens).toISOString()]);
    const never = toLotView(hours, null, NOW, 900, { open: true, changesAt: null });
    assert.deepEqual([never.availability, never.openNow, never.opensAt, never.closesAt], ['unknown', true, null, null]);
    const none = toLotView(meta, live(10, 5000), NOW, 900);
    assert.deepEqual([none.openNow, none.opensAt, none.closesAt], [null, null, null]);
  });

  it('says nothing of the hours of a lot that is not open: its status closes it, whatever they say', () => {
    const view = toLotView({ ...meta, status: 'under_construction', openingHours: '24/7' }, live(10, 5000), NOW, 900, { open: true, changesAt: null });
    assert.deepEqual([view.availability, view.openNow, view.opensAt, view.closesAt], ['closed', null, null, null]);
  });
});
