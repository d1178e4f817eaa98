import assert from 'node:assert/strict';
import type { LotMeta } from '../../server/domain/lot.ts';
import { hasFeature } from '../../server/domain/features.ts';
import { lotSearchQuerySchema, matchesMeta } from '../../server/domain/search.ts';

describe('domain: search parameters', () => {
  it('parses near, radius, bbox, minFree and limit', () => {
    const q = lotSearchQuerySchema.parse({ near: '36.09,120.37', radius: '1500', bbox: '120.3,36.0,120.4,36.2', minFree: '5', limit: '10' });
    assert.deepEqual(q, { near: { lat: 36.09, lon: 120.37 }, radiusM: 1500, bbox: [120.3, 36.0, 120.4, 36.2], minFree: 5, limit: 10 });
  });

  it('parses type and features as comma-separated lists, without repeats', () => {
    const q = lotSearchQuerySchema.parse({ type: 'surface,underground,surface', features: 'ev, disabled' });
    assert.deepEqual(q.types, ['surface', 'underground']);
    assert.deepEqual(q.features, ['ev', 'disabled']);
  });

  it('defaults the limit', () => {
    assert.equal(lotSearchQuerySchema.parse({}).limit, 1000);
  });

  const bad: [Record<string, string>, string][] = [
    [{ near: '36.09' }, 'near'],
    [{ near: '91,120' }, 'near'],
    [{ near: 'a,b' }, 'near'],
    [{ radius: '100' }, 'radius'],
    [{ near: '36,120', radius: '-5' }, 'radius'],
    [{ bbox: '1,2,3' }, 'bbox'],
    [{ minFree: 'many' }, 'minFree'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '100000' }, 'limit'],
    [{ type: 'garage' }, 'type'],
    [{ type: '' }, 'type'],
    [{ features: 'ev,valet' }, 'features'],
  ];
  for (const [query, field] of bad) {
    it(`rejects ${JSON.stringify(query)}, naming ${field}`, () => {
      const parsed = lotSearchQuerySchema.safeParse(query);
      assert.equal(parsed.success, false);
      assert.deepEqual([...new Set(parsed.error!.issues.map((i) => i.path[0]))], [field]);
    });
  }
});

describe('domain: search filters on lot metadata', () => {
  const lot: LotMeta = {
    id: 'a', name: 'A', nameEn: null, address: null, lat: 36, lon: 120, type: 'underground', status: 'open', capacity: 100,
    staleAfterS: null, openingHours: null, capacityDisabled: 2, capacityCharging: 0, capacityFamily: null, capacityWomen: null, baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null,
    fee: null, priceInfo: null, priceInfoEn: null, maxHeightCm: null,
  };

  it('counts a feature only when the lot has at least one such space (0 and unknown do not)', () => {
    assert.equal(hasFeature(lot, 'disabled'), true);
    assert.equal(hasFeature(lot, 'ev'), false);
    assert.equal(hasFeature(lot, 'family'), false);
  });

  it('keeps a lot of any listed type that has every listed feature', () => {
    assert.equal(matchesMeta(lot, {}), true);
    assert.equal(matchesMeta(lot, { types: ['surface', 'underground'] }), true);
    assert.equal(matchesMeta(lot, { types: ['surface'] }), false);
    assert.equal(matchesMeta(lot, { features: ['disabled'] }), true);
    assert.equal(matchesMeta(lot, { features: ['disabled', 'ev'] }), false);
  });
});
