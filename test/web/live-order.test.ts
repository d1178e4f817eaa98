// Pushes that overtake a subscribe's snapshot (web/src/live-order.ts): the
// server joins the socket, then reads the snapshot, so a push sent between the
// two arrives first and may be older or newer than the snapshot.
import assert from 'node:assert/strict';
import { liveFieldsOf } from '../../server/domain/contract.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { mergeEarly } from '../../web/src/live-order.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function lot(id: string, free: number, heardS: number): LotView {
  return {
    id, name: id, nameEn: null, address: null, lat: 36.09, lon: 120.37, type: 'surface', status: 'open',
    openingHours: null, capacityDisabled: null, capacityCharging: null, capacityFamily: null, capacityWomen: null,
    baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null,
    freeCharging: null, freeDisabled: null, freeFamily: null, freeWomen: null,
    fee: null, priceInfo: null, priceInfoEn: null, maxHeightCm: null, staleAfterS: null,
    capacity: 100, free, occupied: 100 - free, availability: 'available', stale: false,
    updatedAt: at(heardS), heardAt: at(heardS), clamped: false, openNow: null, opensAt: null, closesAt: null,
  };
}

describe('web: pushes that came before the snapshot', () => {
  it('keeps a newer push over the snapshot, and drops an older one', () => {
    const { snapshot, rest } = mergeEarly([lot('a', 40, 10), lot('b', 40, 10)], [
      { kind: 'live', lots: [liveFieldsOf(lot('a', 0, 20)), liveFieldsOf(lot('b', 90, 5))] },
    ]);
    assert.deepEqual(snapshot.map((l) => [l.id, l.free]), [['a', 0], ['b', 40]]);
    assert.equal(snapshot[0]!.name, 'a', 'live fields merge into the whole lot');
    assert.deepEqual(rest, []);
  });

  it('applies pushes in the order they came, and a removal takes the lot out', () => {
    const { snapshot } = mergeEarly([lot('a', 40, 10), lot('b', 40, 10)], [
      { kind: 'update', lots: [lot('a', 30, 11)] },
      { kind: 'live', lots: [liveFieldsOf(lot('a', 20, 12))] },
      { kind: 'remove', ids: ['b'] },
    ]);
    assert.deepEqual(snapshot.map((l) => [l.id, l.free]), [['a', 20]]);
  });

  it('hands on, after the snapshot, what is about lots it does not hold', () => {
    const { snapshot, rest } = mergeEarly([lot('a', 40, 10)], [
      { kind: 'update', lots: [lot('new', 5, 11), lot('a', 39, 11)] },
      { kind: 'remove', ids: ['gone', 'a'] },
    ]);
    assert.deepEqual(snapshot, []);
    assert.deepEqual(rest, [{ kind: 'update', lots: [lot('new', 5, 11)] }, { kind: 'remove', ids: ['gone'] }]);
  });

  it('changes nothing when no push came first', () => {
    const lots = [lot('a', 40, 10)];
    assert.equal(mergeEarly(lots, []).snapshot, lots);
  });
});
