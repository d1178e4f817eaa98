// Where the map draws a WGS-84 point and reads one back (web/src/map-coords.ts), for WGS-84 and
// GCJ-02 tiles: pure, run in Node.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { distanceM } from '../../server/domain/geo.ts';
import { mapCoords, tileCrsOf } from '../../web/src/map-coords.ts';

/** A point in Shibei, Qingdao (WGS-84). */
const shibei = { lat: 36.0861, lon: 120.3588 };

describe('web: map coordinates for WGS-84 and GCJ-02 tiles', () => {
  it('takes TILE_CRS as given, anything but gcj02 as WGS-84', () => {
    assert.deepEqual(['gcj02', 'wgs84', '', undefined, 'bd09'].map(tileCrsOf), ['gcj02', 'wgs84', 'wgs84', 'wgs84', 'wgs84']);
  });

  it('leaves points as they are on WGS-84 tiles, and clamps a box of the map to the world', () => {
    const coords = mapCoords('wgs84');
    assert.deepEqual(coords.toMap(shibei), [shibei.lat, shibei.lon]);
    assert.deepEqual(coords.fromMap(shibei.lat, shibei.lon), shibei);
    assert.deepEqual(coords.bboxFromMap([-200, -95, 190, 100]), [-180, -90, 180, 90]);
  });

  it('draws a point in Qingdao some 300–700 m off (north-east) on GCJ-02 tiles, and reads it back to within a centimetre', () => {
    const coords = mapCoords('gcj02');
    const [lat, lon] = coords.toMap(shibei);
    const offset = distanceM(shibei, { lat, lon });
    assert.ok(offset > 300 && offset < 700, `offset ${offset} m`);
    assert.ok(lon > shibei.lon && lat > shibei.lat);
    assert.ok(distanceM(coords.fromMap(lat, lon), shibei) < 0.01);
  });

  it('reads back every point in China it drew (property), and leaves points outside China alone', () => {
    const coords = mapCoords('gcj02');
    fc.assert(
      fc.property(fc.double({ min: 20, max: 45, noNaN: true }), fc.double({ min: 100, max: 130, noNaN: true }), (lat, lon) => {
        const [y, x] = coords.toMap({ lat, lon });
        assert.ok(distanceM(coords.fromMap(y, x), { lat, lon }) < 0.5);
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(coords.toMap({ lat: 48.8566, lon: 2.3522 }), [48.8566, 2.3522]);
  });

  it('turns a box of GCJ-02 tiles into the WGS-84 box holding it: every corner, edge and the centre inside', () => {
    const coords = mapCoords('gcj02');
    const view = [120.33, 36.07, 120.39, 36.11] as const;
    const [w, s, e, n] = coords.bboxFromMap(view);
    for (const lon of [view[0], (view[0] + view[2]) / 2, view[2]]) {
      for (const lat of [view[1], (view[1] + view[3]) / 2, view[3]]) {
        const p = coords.fromMap(lat, lon);
        assert.ok(p.lon >= w && p.lon <= e && p.lat >= s && p.lat <= n, `${lat},${lon}`);
      }
    }
    // Shifted back by the offset (west and south here), not grown by it.
    assert.ok(w < view[0] && e < view[2] && s < view[1] && n < view[3]);
    assert.ok(Math.abs(e - w - (view[2] - view[0])) < 1e-4);
  });
});
