// The feeds' mappings (domain/feeds/), pure: for any lot in any state, every
// feed keeps the map's rules — a number only for live data, a lot that is not
// open closed with 0 free (never full), free never above capacity, unknown
// never 0 — and each feed's own form of "unknown".
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toDatex2ParkingSite } from '../../server/domain/feeds/datex2.ts';
import { bayStatus, parseNgsiId, parkingSpotId, offStreetParkingId, toOffStreetParking } from '../../server/domain/feeds/ngsi-ld.ts';
import { toParkApiV1Lot } from '../../server/domain/feeds/parkapi-v1.ts';
import { parkingSiteId, toParkingSite } from '../../server/domain/feeds/parkapi-v3.ts';
import { liveTruth } from '../../server/domain/feeds/truth.ts';
import { lotStatuses, lotTypes, toLotView, type LotView } from '../../server/domain/lot.ts';
import { lotMeta } from '../helpers/catalog.ts';

const NOW = Date.parse('2026-11-30T04:00:00Z');
const STALE_AFTER_S = 900;

/** Any lot the views can show: any status and type, no data or a count of any age, a gateway offline or not, in or out of its hours. */
const anyLot = fc
  .record({
    status: fc.constantFrom(...lotStatuses),
    type: fc.constantFrom(...lotTypes),
    capacity: fc.integer({ min: 0, max: 500 }),
    occupiedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    ageS: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: null }),
    offline: fc.boolean(),
    openNow: fc.boolean(),
  })
  .map(({ status, type, capacity, occupiedShare, ageS, offline, openNow }): LotView => {
    const meta = lotMeta('any-lot', { status, type, capacity });
    const ts = ageS === null ? null : NOW - ageS * 1000;
    const live = ts === null ? null : { capacity, occupied: Math.round(occupiedShare * capacity), ts, seq: null, clamped: false, receivedAt: ts, aliveAt: ts, offline };
    return toLotView(meta, live, NOW, STALE_AFTER_S, { open: openNow, changesAt: null });
  });

describe('feeds: the mappings keep the map\'s truth', () => {
  it('shows a number only for live data, 0 for a lot that is not open, never above capacity — in every feed', () => {
    fc.assert(
      fc.property(anyLot, (lot) => {
        const truth = liveTruth(lot);
        const live = lot.availability !== 'closed' && lot.availability !== 'unknown';
        assert.equal(truth.open, lot.availability !== 'closed');
        assert.equal(truth.free, lot.availability === 'closed' ? 0 : live ? lot.free : null);

        const v1 = toParkApiV1Lot(lot);
        assert.equal(v1.state, !truth.open ? 'closed' : live ? 'open' : 'nodata');
        assert.equal('free' in v1, truth.free !== null, 'v1: free only when known (OpenTripPlanner reads null as 0)');
        if (v1.free !== undefined) assert.ok(v1.free >= 0 && v1.free <= v1.total);

        const v3 = toParkingSite(lot, NOW);
        assert.equal(v3.has_realtime_data, truth.free !== null);
        if (!v3.has_realtime_data) assert.deepEqual(Object.keys(v3).filter((k) => k.startsWith('realtime_')), []);
        else {
          assert.equal(v3.realtime_opening_status, truth.open ? 'OPEN' : 'CLOSED');
          assert.ok(v3.realtime_free_capacity! <= v3.capacity);
          assert.ok(v3.realtime_data_updated_at);
        }

        const datex = toDatex2ParkingSite(lot);
        assert.equal(datex.availableSpaces, truth.free ?? undefined);
        if (!truth.open) assert.deepEqual([datex.isOpenNow, datex.availableSpaces], [false, 0]);

        const ngsi = toOffStreetParking(lot, { keyValues: true, sourceUrl: 'http://x/' });
        assert.equal(ngsi.availableSpotNumber, truth.free ?? undefined);
        assert.deepEqual(ngsi.status, !truth.open ? ['closed'] : live ? ['open', lot.availability === 'full' ? 'full' : lot.availability === 'almost_full' ? 'almostFull' : 'spacesAvailable'] : ['open']);
        if (lot.capacity < 1) assert.equal(ngsi.totalSpotNumber, undefined, 'the schema wants totalSpotNumber >= 1');
      }),
      { numRuns: 500 },
    );
  });

  it('never says more free spaces than there are, even from a view whose free count is off', () => {
    const lot = toLotView(lotMeta('odd', { capacity: 40 }), { capacity: 40, occupied: 0, ts: NOW, seq: null, clamped: false, receivedAt: NOW }, NOW, STALE_AFTER_S);
    assert.equal(liveTruth({ ...lot, free: 55 }).free, 40);
    assert.equal(liveTruth({ ...lot, free: -3 }).free, 0);
  });

  it('gives a bay the lot\'s truth: closed with a closed lot, unknown while the lot\'s data is not live', () => {
    const bay = { spaceId: 's1', occupied: true, ts: NOW };
    const live = { capacity: 2, occupied: 1, ts: NOW - 1000, seq: null, clamped: false, receivedAt: NOW };
    assert.equal(bayStatus(toLotView(lotMeta('b'), live, NOW, STALE_AFTER_S), bay), 'occupied');
    assert.equal(bayStatus(toLotView(lotMeta('b'), live, NOW, STALE_AFTER_S), { ...bay, occupied: false }), 'free');
    assert.equal(bayStatus(toLotView(lotMeta('b', { status: 'closed' }), live, NOW, STALE_AFTER_S), bay), 'closed');
    assert.equal(bayStatus(toLotView(lotMeta('b'), live, NOW, STALE_AFTER_S, { open: false, changesAt: null }), bay), 'closed', 'outside its hours');
    assert.equal(bayStatus(toLotView(lotMeta('b'), { ...live, offline: true }, NOW, STALE_AFTER_S), bay), 'unknown');
  });

  it('names entities by URN and reads the names back; ParkAPI v3 ids are stable safe integers', () => {
    assert.deepEqual(parseNgsiId(offStreetParkingId('hangzhou-rd-7')), { type: 'OffStreetParking', lotId: 'hangzhou-rd-7' });
    assert.deepEqual(parseNgsiId(parkingSpotId('hangzhou-rd-7', 'b-12')), { type: 'ParkingSpot', lotId: 'hangzhou-rd-7', spaceId: 'b-12' });
    assert.equal(parseNgsiId('urn:ngsi-ld:OffStreetParking:Not_An_Id'), undefined);
    assert.equal(parkingSiteId('hangzhou-rd-7'), parkingSiteId('hangzhou-rd-7'));
    const ids = ['hangzhou-rd-7', 'liaocheng-rd', 'nanfeng-rd', 'a', 'b', 'lot-1', 'lot-2'].map(parkingSiteId);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(Number.isSafeInteger(id) && id >= 1);
  });
});
