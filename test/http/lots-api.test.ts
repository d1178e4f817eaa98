// The drivers' search API over HTTP: filters, GeoJSON, errors and compression.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { LotView } from '../../server/domain/lot.ts';
import type { LotFeatureCollection } from '../../server/query/geojson.ts';
import { getJson, startApp, type TestApp } from '../helpers/app.ts';
import { addLots, testLot } from '../helpers/lots.ts';

describe('http: GET /api/lots search and GeoJSON', () => {
  let t: TestApp;
  const ids = async (query: string) =>
    (await getJson<{ lots: LotView[] }>(t.app.httpUrl, `/api/lots${query}`)).body.lots.map((l) => l.id);

  before(async () => {
    t = await startApp({ SEED_LOTS: 'off' });
    await addLots(t.app, [
      testLot({ id: 'ev-garage', type: 'underground', lat: 36.090, lon: 120.360, capacityCharging: 6, capacityDisabled: 2 }),
      testLot({ id: 'ev-only', type: 'surface', lat: 36.095, lon: 120.365, capacityCharging: 2, capacityDisabled: 0 }),
      testLot({ id: 'kerb', type: 'on_street', lat: 36.100, lon: 120.370 }),
      testLot({ id: 'far-away', type: 'surface', lat: 39.9, lon: 116.4, capacityDisabled: 1 }),
    ]);
  });
  after(async () => {
    await t?.stop();
  });

  it('filters by type: any of a comma-separated list', async () => {
    assert.deepEqual((await ids('?type=on_street')).sort(), ['kerb']);
    assert.deepEqual((await ids('?type=underground,on_street')).sort(), ['ev-garage', 'kerb']);
  });

  it('filters by features: lots with at least one EV / disabled space, every listed feature', async () => {
    assert.deepEqual((await ids('?features=ev')).sort(), ['ev-garage', 'ev-only']);
    assert.deepEqual((await ids('?features=disabled')).sort(), ['ev-garage', 'far-away']);
    assert.deepEqual((await ids('?features=ev,disabled')).sort(), ['ev-garage']);
  });

  it('combines filters with near and radius, sorted by distance', async () => {
    const { body } = await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots?near=36.1,120.37&radius=5000&type=surface,underground');
    assert.deepEqual(body.lots.map((l) => l.id), ['ev-only', 'ev-garage']);
    assert.ok(body.lots[0]!.distanceM! < body.lots[1]!.distanceM!);
  });

  it('answers 400 naming a bad type or feature', async () => {
    for (const [query, field] of [['type=garage', 'type'], ['features=valet', 'features']] as const) {
      const { status, body } = await getJson<{ error: { code: string; message: string; details: { fields: Record<string, string[]> } } }>(
        t.app.httpUrl, `/api/lots?${query}`);
      assert.equal(status, 400);
      assert.equal(body.error.code, 'validation_failed');
      assert.match(body.error.message, new RegExp(`^invalid query: ${field}: `));
      assert.deepEqual(Object.keys(body.error.details.fields), [field]);
    }
  });

  it('gives a GeoJSON FeatureCollection at /api/lots.geojson, coordinates [lon, lat], with the same filters', async () => {
    const res = await fetch(`${t.app.httpUrl}/api/lots.geojson?near=36.1,120.37&features=ev`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/geo\+json/);
    const collection = (await res.json()) as LotFeatureCollection;
    assert.equal(collection.type, 'FeatureCollection');
    assert.deepEqual(collection.features.map((f) => f.id), ['ev-only', 'ev-garage']);
    const garage = collection.features[1]!;
    assert.deepEqual(garage.geometry, { type: 'Point', coordinates: [120.36, 36.09] });
    assert.equal(garage.properties.id, 'ev-garage');
    assert.equal(garage.properties.capacityCharging, 6);
    assert.equal(typeof garage.properties.distanceM, 'number');
    assert.equal('lat' in garage.properties, false);
  });

  it('gives GeoJSON at /api/lots to a client that asks for application/geo+json, and JSON otherwise', async () => {
    const geo = await fetch(`${t.app.httpUrl}/api/lots?type=on_street`, { headers: { accept: 'application/geo+json' } });
    assert.match(geo.headers.get('content-type') ?? '', /^application\/geo\+json/);
    assert.match(geo.headers.get('vary') ?? '', /Accept/i);
    assert.deepEqual(((await geo.json()) as LotFeatureCollection).features.map((f) => f.id), ['kerb']);
    const plain = await fetch(`${t.app.httpUrl}/api/lots?type=on_street`, { headers: { accept: '*/*' } });
    assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(((await plain.json()) as { lots: LotView[] }).lots.map((l) => l.id), ['kerb']);
    const one = await fetch(`${t.app.httpUrl}/api/lots/kerb`, { headers: { accept: 'application/geo+json' } });
    assert.deepEqual(((await one.json()) as { geometry: unknown }).geometry, { type: 'Point', coordinates: [120.37, 36.1] });
  });

  it('answers a GeoJSON request with a bad parameter with the same JSON error', async () => {
    const res = await fetch(`${t.app.httpUrl}/api/lots.geojson?bbox=1,2`);
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(((await res.json()) as { error: { details: { fields: object } } }).error.details.fields), ['bbox']);
  });

  it('compresses answers for a client that accepts gzip', async () => {
    await addLots(t.app, Array.from({ length: 40 }, (_, i) => testLot({ id: `bulk-${i}` })));
    // fetch() decompresses transparently, so ask with node:http to see the encoding.
    const encoding = await new Promise<string | undefined>((resolve, reject) => {
      request(`${t.app.httpUrl}/api/lots`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        res.resume();
        resolve(res.headers['content-encoding']);
      }).on('error', reject).end();
    });
    assert.equal(encoding, 'gzip');
  });
});
