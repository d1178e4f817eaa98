import assert from 'node:assert/strict';
import { bboxAround, distanceM, inBBox, isValidBBox } from '../../server/domain/geo.ts';

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
});
