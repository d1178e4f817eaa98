import assert from 'node:assert/strict';
import { lotSearchQuerySchema } from '../../server/domain/search.ts';

describe('domain: search parameters', () => {
  it('parses near, radius, bbox, minFree and limit', () => {
    const q = lotSearchQuerySchema.parse({ near: '36.09,120.37', radius: '1500', bbox: '120.3,36.0,120.4,36.2', minFree: '5', limit: '10' });
    assert.deepEqual(q, { near: { lat: 36.09, lon: 120.37 }, radiusM: 1500, bbox: [120.3, 36.0, 120.4, 36.2], minFree: 5, limit: 10 });
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
  ];
  for (const [query, field] of bad) {
    it(`rejects ${JSON.stringify(query)}, naming ${field}`, () => {
      const parsed = lotSearchQuerySchema.safeParse(query);
      assert.equal(parsed.success, false);
      assert.deepEqual([...new Set(parsed.error!.issues.map((i) => i.path[0]))], [field]);
    });
  }
});
