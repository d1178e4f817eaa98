import assert from 'node:assert/strict';
import { bboxAround, bboxContains, distanceM, inBBox, isValidBBox, snapToGrid } from '../../server/domain/geo.ts';

describe('domain: geo maths', () => {
  it('measures one degree of latitude as about 111.2 km', () => {
    assert.ok(Math.abs(distanceM({ lat: 0, lon: 0 }, { lat: 1, lon: 0 }) - 111_195) < 10);
  });

  it('measures the distance between two Shibei lots (Hangzhou Rd No. 7 → Nanfeng Rd, about 2.2 km)', () => {
    const d = distanceM({ lat: 36.0935, lon: 120.37 }, { lat: 36.112, lon: 120.382 });
    assert.ok(d > 2200 && d < 2400, String(d));
  });

  it('tests bbox membership, edges included', () => {
    const box = [120.3, 36.0, 120.4, 36.1] as const;
    assert.ok(inBBox({ lat: 36.05, lon: 120.35 }, box));
    assert.ok(inBBox({ lat: 36.1, lon: 120.4 }, box));
    assert.ok(!inBBox({ lat: 36.2, lon: 120.35 }, box));
  });

  it('handles a bbox that crosses the antimeridian', () => {
    const box = [170, -10, -170, 10] as const;
    assert.ok(inBBox({ lat: 0, lon: 179 }, box));
    assert.ok(inBBox({ lat: 0, lon: -179 }, box));
    assert.ok(!inBBox({ lat: 0, lon: 0 }, box));
  });

  it('builds a bbox around a circle that holds every point of the circle', () => {
    const center = { lat: 36.09, lon: 120.37 };
    const box = bboxAround(center, 1000);
    for (let bearing = 0; bearing < 360; bearing += 15) {
      const rad = (bearing * Math.PI) / 180;
      const p = { lat: center.lat + (0.0089 * Math.cos(rad)), lon: center.lon + (0.0089 * Math.sin(rad)) / Math.cos((center.lat * Math.PI) / 180) };
      if (distanceM(center, p) <= 1000) assert.ok(inBBox(p, box), `bearing ${bearing}`);
    }
  });

  it('validates bboxes', () => {
    assert.ok(isValidBBox([120, 36, 121, 37]));
    assert.ok(!isValidBBox([120, 37, 121, 36]));
    assert.ok(!isValidBBox([120, 36, 121, 95]));
    assert.ok(!isValidBBox([120, 36, Number.NaN, 37]));
  });

  it('measures a distance the same both ways, and zero to itself', () => {
    const a = { lat: 36.0935, lon: 120.37 };
    const b = { lat: 36.08, lon: 120.319 };
    assert.equal(distanceM(a, b), distanceM(b, a));
    assert.equal(distanceM(a, a), 0);
  });

  it('measures across the antimeridian the short way round', () => {
    const d = distanceM({ lat: 0, lon: 179.9 }, { lat: 0, lon: -179.9 });
    assert.ok(Math.abs(d - 22_239) < 10, String(d));
  });

  it('widens the circle’s bbox to every longitude near a pole, and wraps it at the antimeridian', () => {
    assert.deepEqual(bboxAround({ lat: 89.99, lon: 0 }, 5000).filter((_, i) => i % 2 === 0), [-180, 180]);
    const wrapped = bboxAround({ lat: 0, lon: 179.99 }, 5000);
    assert.ok(wrapped[0] > wrapped[2], `crosses the antimeridian: ${wrapped.join(',')}`);
    assert.ok(inBBox({ lat: 0, lon: -179.99 }, wrapped));
  });

  it('tells whether one bbox lies wholly inside another (the map’s view inside its subscribed area)', () => {
    const area = [120.3, 36.0, 120.5, 36.2] as const;
    assert.ok(bboxContains(area, [120.35, 36.05, 120.45, 36.15]));
    assert.ok(bboxContains(area, area), 'edges included');
    assert.ok(!bboxContains(area, [120.35, 36.05, 120.55, 36.15]), 'sticks out east');
    assert.ok(!bboxContains(area, [120.2, 35.9, 120.6, 36.3]), 'larger');
  });
});

describe('domain: subscription areas on a grid', () => {
  it('grows an area outwards to a power-of-two grid near a quarter of its size', () => {
    const snapped = snapToGrid([120.3412, 36.0710, 120.4012, 36.1110]);
    const [w, s, e, n] = snapped;
    assert.ok(w <= 120.3412 && s <= 36.071 && e >= 120.4012 && n >= 36.111, 'it holds the area');
    const step = 2 ** Math.ceil(Math.log2(0.06 / 4));
    for (const v of snapped) assert.ok(Math.abs(v / step - Math.round(v / step)) < 1e-9, `${v} on the grid`);
    assert.ok(e - w <= 0.06 + 2 * step + 1e-9, 'and not much more');
  });

  it('gives drivers looking at about the same place the same area', () => {
    assert.deepEqual(snapToGrid([120.3412, 36.0710, 120.4012, 36.1110]), snapToGrid([120.3420, 36.0722, 120.4020, 36.1102]));
  });

  it('stays within the world', () => {
    assert.deepEqual(snapToGrid([-179.9, -89.9, 179.9, 89.9]), [-180, -90, 180, 90]);
  });
});
