import assert from 'node:assert/strict';
import fc from 'fast-check';
import { liveFieldsOf, type LotLive } from '../../server/domain/contract.ts';
import { fromLiveRows, rowsBase, toLiveRow } from '../../server/domain/live-rows.ts';
import { availabilities, lotMetaSchema, toLotView } from '../../server/domain/lot.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
const meta = lotMetaSchema.parse({ id: 'hangzhou-rd-7', name: '杭州路7号停车场', lat: 36.0935, lon: 120.37, type: 'surface', status: 'open', capacity: 32 });

describe('domain: live rows (`lots:rows`)', () => {
  it('carries a lot with data as a row of values, its times as ms from the base', () => {
    const lot = liveFieldsOf(toLotView(meta, { capacity: 32, occupied: 30, ts: NOW - 5000, aliveAt: NOW - 1000, seq: null, clamped: true, receivedAt: NOW }, NOW, 600));
    const at = rowsBase([lot]);
    assert.equal(at, NOW - 1000, 'the newest heardAt');
    assert.deepEqual(toLiveRow(lot, at), ['hangzhou-rd-7', 32, 2, 30, 'almost_full', false, -4000, 0, true]);
    assert.deepEqual(fromLiveRows({ at, rows: [toLiveRow(lot, at)] }), [lot]);
  });

  it('carries a lot with no data yet with null times and counts, and a push of such lots with base 0', () => {
    const lot = liveFieldsOf(toLotView(meta, null, NOW, 600));
    assert.equal(rowsBase([lot]), 0);
    assert.deepEqual(toLiveRow(lot, 0), ['hangzhou-rd-7', 32, null, null, 'unknown', false, null, null, false]);
    assert.deepEqual(fromLiveRows({ at: 0, rows: [toLiveRow(lot, 0)] }), [lot]);
  });

  it('carries the free counts per kind last, and only when one is known (a row from an older server reads as none known)', () => {
    const lot = { ...liveFieldsOf(toLotView(meta, null, NOW, 600)), freeCharging: 1, freeDisabled: 0 };
    assert.deepEqual(toLiveRow(lot, 0).slice(9), [1, 0, null, null]);
    assert.deepEqual(fromLiveRows({ at: 0, rows: [toLiveRow(lot, 0)] }), [lot]);
    const old = fromLiveRows({ at: 0, rows: [['old', 10, 5, 5, 'available', false, 0, 0, false]] })[0]!;
    assert.deepEqual([old.freeCharging, old.freeDisabled, old.freeFamily, old.freeWomen], [null, null, null, null]);
  });

  it('reads back exactly what `lots:live` would have carried, whatever the base', () => {
    const iso = fc.option(fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') }).map((ms) => new Date(ms).toISOString()), { nil: null });
    const lotLive: fc.Arbitrary<LotLive> = fc.record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      capacity: fc.nat(100_000),
      free: fc.option(fc.integer({ min: -10, max: 100_000 }), { nil: null }),
      occupied: fc.option(fc.nat(100_000), { nil: null }),
      availability: fc.constantFrom(...availabilities),
      stale: fc.boolean(),
      updatedAt: iso,
      heardAt: iso,
      clamped: fc.boolean(),
      freeCharging: fc.option(fc.nat(500), { nil: null }),
      freeDisabled: fc.option(fc.nat(500), { nil: null }),
      freeFamily: fc.option(fc.nat(500), { nil: null, freq: 1 }),
      freeWomen: fc.option(fc.nat(500), { nil: null }),
    }).map((lot) => ({ ...lot }));
    fc.assert(
      fc.property(fc.array(lotLive, { maxLength: 20 }), fc.boolean(), (lots, newestBase) => {
        const at = newestBase ? rowsBase(lots) : NOW;
        const push = { at, rows: lots.map((lot) => toLiveRow(lot, at)) };
        assert.deepEqual(fromLiveRows(JSON.parse(JSON.stringify(push))), lots);
      }),
    );
  });

  it('takes a third of the bytes of `lots:live` for a busy district', () => {
    const lots = Array.from({ length: 50 }, (_, i) =>
      liveFieldsOf(toLotView({ ...meta, id: `bench-district-${i}`, capacity: 100_000 }, { capacity: 100_000, occupied: 877 + i, ts: NOW - i * 3, seq: null, clamped: false, receivedAt: NOW }, NOW, 600)),
    );
    const at = rowsBase(lots);
    const rows = JSON.stringify({ at, rows: lots.map((lot) => toLiveRow(lot, at)) }).length;
    const live = JSON.stringify(lots).length;
    assert.ok(rows < live / 2.5, `rows ${rows} bytes, lots:live ${live}`);
  });
});
