// The standard feeds over HTTP: ParkAPI v1 (read as OpenTripPlanner reads
// it), ParkAPI v3, DATEX II. Each real answer must validate against the
// standard's published schema (test/fixtures/schemas/) and against the
// service's own OpenAPI document, and keep the map's rules of truth.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { MqttClient } from 'mqtt';
import { parkingSiteId } from '../../server/domain/feeds/parkapi-v3.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { eventually, publish, type TestApp } from '../helpers/app.ts';
import { getFeed, NOW, publishedSchemas, startFeedScenario } from '../helpers/feeds.ts';
import { otpParse } from '../helpers/otp.ts';

const schemas = publishedSchemas();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const byId = (items: any[], key: string): Map<string, any> => new Map(items.map((item) => [item[key], item]));

describe('feeds: ParkAPI v1, ParkAPI v3, DATEX II', function () {
  this.timeout(30_000);
  let t: TestApp;
  let mqtt: MqttClient;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}) => getFeed(base, path, headers);

  before(async () => {
    ({ t, mqtt } = await startFeedScenario({ CITY_ID: 'qingdao-shibei', CITY_NAME: '市北区', ADMIN_TOKEN }));
    base = t.app.httpUrl;
    // A week of history for one lot, so that it has a forecast (the others have none).
    const lines = ['lot,at,occupied'];
    for (let at = NOW - 8 * DAY; at < NOW - HOUR; at += 5 * MINUTE) lines.push(`details,${new Date(at).toISOString()},${40 + Math.round(30 * Math.sin(at / HOUR))}`);
    const imported = await fetch(new URL('/api/lots/details/history', base), {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: `${lines.join('\n')}\n`,
    });
    assert.equal(imported.status, 200, await imported.text());
  });
  after(async () => {
    await mqtt?.endAsync();
    await t?.stop();
  });

  describe('ParkAPI v1', () => {
    it('lists the one city, CITY_ID, as ParkAPI\'s GET / does', async () => {
      const { status, body } = await get('/api/parkapi/v1/');
      assert.equal(status, 200);
      assert.equal(body.api_version, '1.0');
      assert.deepEqual(Object.keys(body.cities), ['qingdao-shibei']);
      assert.equal(body.cities['qingdao-shibei'].name, '市北区');
      assert.match(body.reference, /\/api\/docs$/);
    });

    it('validates against ParkAPI\'s city_schema.json, with a state for every lot and no null anywhere', async () => {
      const { status, body } = await get('/api/parkapi/v1/qingdao-shibei');
      assert.equal(status, 200);
      assert.deepEqual(schemas('parkapi-v1-city.schema.json', body), []);
      assert.equal(body.lots.length, 9);
      for (const lot of body.lots) {
        assert.ok(['open', 'closed', 'nodata'].includes(lot.state), lot.id);
        assert.ok(!Object.values(lot).includes(null), `${lot.id} has a null`);
        assert.equal(typeof lot.forecast, 'boolean', lot.id);
      }
      assert.equal(body.last_updated, new Date(NOW - 10_000).toISOString().replace('.000', ''), 'the newest data: a bay sensor 10 s ago');
    });

    it('says forecast: true for the lot with a forecast (a week of history), false for the lots without', async () => {
      // The first read may only start making a lot's forecast (in the background): ask until it is made.
      const flags = await eventually(async () => {
        const { body } = await get('/api/parkapi/v1/qingdao-shibei');
        const forecast = new Map<string, boolean>(body.lots.map((lot: any) => [lot.id, lot.forecast]));
        assert.equal(forecast.get('details'), true);
        assert.deepEqual(schemas('parkapi-v1-city.schema.json', body), []);
        return forecast;
      });
      assert.deepEqual([...flags].filter(([, has]) => has).map(([id]) => id), ['details']);
    });

    it('keeps the map\'s truth: free only for live data, closed lots 0 and closed, never above capacity', async () => {
      const lots = byId((await get('/api/parkapi/v1/qingdao-shibei')).body.lots, 'id');
      const view = (id: string) => ({ state: lots.get(id)!.state, free: lots.get(id)!.free, total: lots.get(id)!.total });
      assert.deepEqual(view('fresh'), { state: 'open', free: 30, total: 40 });
      assert.deepEqual(view('full'), { state: 'open', free: 0, total: 20 });
      assert.deepEqual(view('over'), { state: 'open', free: 0, total: 10 });
      assert.deepEqual(view('stale'), { state: 'nodata', free: undefined, total: 30 });
      assert.deepEqual(view('nodata'), { state: 'nodata', free: undefined, total: 25 });
      assert.deepEqual(view('building'), { state: 'closed', free: 0, total: 50 }, 'under construction: closed, though it counts');
      assert.deepEqual(view('evening'), { state: 'closed', free: 0, total: 60 }, 'outside its opening hours: closed, not full');
      assert.equal(lots.get('details')!['total:disabled'], 4);
      assert.equal(lots.get('details')!.opening_hours, '24/7');
    });

    it('reads as OpenTripPlanner\'s ParkAPI updater reads it: closed lots CLOSED, unknown counts not taken for full', async () => {
      const { body } = await get('/api/parkapi/v1/qingdao-shibei');
      const parks = byId(body.lots.map(otpParse), 'id');
      const fresh = parks.get('fresh')!;
      assert.deepEqual([fresh.state, fresh.x, fresh.y], ['OPERATIONAL', 120.36, 36.09]);
      assert.deepEqual(fresh.capacity, { carSpaces: 40, wheelchairAccessibleCarSpaces: null });
      assert.deepEqual(fresh.availability, { carSpaces: 30, wheelchairAccessibleCarSpaces: null });
      for (const id of ['stale', 'nodata']) {
        assert.equal(parks.get(id)!.state, 'OPERATIONAL', id);
        assert.equal(parks.get(id)!.availability, null, `${id}: no availability, not 0 free`);
      }
      for (const id of ['building', 'evening']) {
        assert.equal(parks.get(id)!.state, 'CLOSED', id);
        assert.deepEqual(parks.get(id)!.availability, { carSpaces: 0, wheelchairAccessibleCarSpaces: null }, id);
      }
      assert.deepEqual(parks.get('details')!.capacity, { carSpaces: 100, wheelchairAccessibleCarSpaces: 4 });
      assert.equal(parks.get('details')!.wheelchairAccessibleCarPlaces, true);
      assert.ok(parks.get('nodata')!.tags.includes('lot_type:On-street parking'));
    });

    it('answers another city with a 404 in the API\'s error shape', async () => {
      const { status, body } = await get('/api/parkapi/v1/dresden');
      assert.equal(status, 404);
      assert.equal(body.error.code, 'not_found');
      assert.match(body.error.message, /qingdao-shibei/);
    });
  });

  describe('ParkAPI v3', () => {
    it('validates against ParkAPI v3\'s parking-site schema, in {items, total_count}', async () => {
      const { status, body } = await get('/api/parkapi/v3/parking-sites');
      assert.equal(status, 200);
      assert.deepEqual(schemas('parkapi-v3-parking-site-list.schema.json', body), []);
      assert.equal(body.total_count, 9);
      assert.equal(body.items.length, 9);
    });

    it('gives live sites realtime fields, stale ones has_realtime_data false and no realtime field, closed ones CLOSED with 0', async () => {
      const sites = byId((await get('/api/parkapi/v3/parking-sites')).body.items, 'original_uid');
      const fresh = sites.get('fresh')!;
      assert.deepEqual(
        [fresh.type, fresh.has_realtime_data, fresh.realtime_opening_status, fresh.realtime_free_capacity, fresh.realtime_capacity, fresh.realtime_data_updated_at],
        ['UNDERGROUND', true, 'OPEN', 30, 40, new Date(NOW - 60_000).toISOString().replace('.000', '')],
      );
      for (const id of ['stale', 'nodata']) {
        assert.equal(sites.get(id)!.has_realtime_data, false, id);
        assert.deepEqual(Object.keys(sites.get(id)!).filter((k) => k.startsWith('realtime_')), [], id);
      }
      for (const id of ['building', 'evening']) {
        assert.deepEqual([sites.get(id)!.realtime_opening_status, sites.get(id)!.realtime_free_capacity], ['CLOSED', 0], id);
      }
      assert.equal(sites.get('over')!.realtime_free_capacity, 0, 'never above capacity, never below 0');
      const details = sites.get('details')!;
      assert.deepEqual(details.restrictions, [
        { type: 'DISABLED', capacity: 4 }, { type: 'CHARGING', capacity: 6 }, { type: 'FAMILY', capacity: 2 }, { type: 'WOMEN', capacity: 3 },
      ]);
      assert.deepEqual([details.has_fee, details.fee_description, details.max_height, details.opening_hours], [true, '首小时5元', 210, '24/7']);
      // Live free counts per kind, from the declared bays' sensors; a closed lot's declared kind: 0 free.
      assert.deepEqual(sites.get('bays')!.restrictions, [{ type: 'CHARGING', capacity: 2, realtime_capacity: 2, realtime_free_capacity: 1 }]);
      assert.equal(sites.get('bays')!.capacity_charging, 2, 'the declared bays are the kind\'s capacity when none is given');
      assert.deepEqual(sites.get('evening')!.restrictions, [{ type: 'DISABLED', capacity: 1, realtime_capacity: 1, realtime_free_capacity: 0 }]);
      assert.equal(details.lat, '36.0900000');
    });

    it('finds one site by its numeric id or its lot id; 404 otherwise', async () => {
      const byNumber = await get(`/api/parkapi/v3/parking-sites/${parkingSiteId('fresh')}`);
      assert.equal(byNumber.status, 200);
      assert.deepEqual(schemas('parkapi-v3-parking-site.schema.json', byNumber.body), []);
      assert.equal(byNumber.body.original_uid, 'fresh');
      assert.deepEqual((await get('/api/parkapi/v3/parking-sites/fresh')).body, byNumber.body);
      assert.equal((await get('/api/parkapi/v3/parking-sites/123456')).status, 404);
    });
  });

  describe('DATEX II Parking Publication Light', () => {
    it('validates against the publication schema ParkAPI v3 emits, version 3.4', async () => {
      const { status, body } = await get('/api/datex2/v3/parking-light.json');
      assert.equal(status, 200);
      assert.deepEqual(schemas('datex2-parking-publication-light.schema.json', body), []);
      assert.deepEqual([body._version, body._modelBaseVersion, body.parkingPublicationLight.name], ['3.4', '3', '市北区']);
    });

    it('keeps the map\'s truth: availableSpaces only when known, closed lots isOpenNow false with 0', async () => {
      const sites = byId((await get('/api/datex2/v3/parking-light.json')).body.parkingPublicationLight.parkingSite, '_id');
      const pick = (id: string) => {
        const { availableSpaces, numberOfSpaces, isOpenNow, type } = sites.get(id)! as Record<string, unknown>;
        return { availableSpaces, numberOfSpaces, isOpenNow, type };
      };
      assert.deepEqual(pick('fresh'), { availableSpaces: 30, numberOfSpaces: 40, isOpenNow: true, type: 'carPark' });
      assert.deepEqual(pick('stale'), { availableSpaces: undefined, numberOfSpaces: 30, isOpenNow: undefined, type: 'offStreetParkingGround' });
      assert.deepEqual(pick('evening'), { availableSpaces: 0, numberOfSpaces: 60, isOpenNow: false, type: 'offStreetParkingGround' });
      assert.deepEqual(pick('nodata').type, 'onStreet');
      assert.deepEqual(sites.get('details')!.tariffDescription, ['首小时5元', 'CNY 5 the first hour']);
      assert.equal(sites.get('details')!.freeParking, false);
    });
  });

  describe('HTTP: polling cheaply from anywhere', () => {
    const feeds = ['/api/parkapi/v1/', '/api/parkapi/v1/qingdao-shibei', '/api/parkapi/v3/parking-sites', '/api/datex2/v3/parking-light.json'];
    // Every feed this service serves, NGSI-LD included (the temporal view: the day before NOW of the history imported above).
    const everyFeed = [
      ...feeds, '/api/parkapi/v3/parking-sites/fresh', '/ngsi-ld/v1/entities?type=OffStreetParking&limit=100', '/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:fresh',
      `/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:OffStreetParking:details?timerel=between&timeAt=${new Date(NOW - DAY).toISOString()}&endTimeAt=${new Date(NOW).toISOString()}&aggrPeriodDuration=PT5M`,
    ];

    it('answers every feed to any origin with no token, an ETag and Cache-Control; 304 for a matching If-None-Match', async () => {
      for (const path of everyFeed) {
        const first = await get(path, { origin: 'https://planner.example' });
        assert.equal(first.status, 200, path);
        assert.equal(first.headers.get('access-control-allow-origin'), '*', path);
        assert.match(first.headers.get('cache-control') ?? '', /max-age=30/, path);
        const etag = first.headers.get('etag');
        assert.ok(etag, path);
        const again = await get(path, { 'if-none-match': etag });
        assert.equal(again.status, 304, path);
        assert.equal(again.body, '', path);
        assert.equal(again.headers.get('access-control-allow-origin'), '*', path);
      }
    });

    it('changes the ETag when a count changes', async () => {
      const before = (await get('/api/parkapi/v1/qingdao-shibei')).headers.get('etag')!;
      await publish(mqtt, 'parking/lots/fresh/count', { occupied: 11, ts: NOW - 5_000 });
      const changed = await get('/api/parkapi/v1/qingdao-shibei', { 'if-none-match': before });
      assert.equal(changed.status, 200);
      assert.equal(byId(changed.body.lots, 'id').get('fresh')!.free, 29);
    });

    it('answers a CORS preflight', async () => {
      const res = await fetch(`${base}/api/parkapi/v3/parking-sites`, {
        method: 'OPTIONS', headers: { origin: 'https://planner.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /If-None-Match/i);
    });

    /** The bytes as sent, not decoded (fetch would decode them). */
    const raw = (path: string, acceptEncoding: string) =>
      new Promise<{ status?: number; encoding?: string; vary?: string; body: Buffer }>((resolve, reject) => {
        request(`${base}${path}`, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(chunks) }));
        }).on('error', reject).end();
      });

    it('compresses every feed, gzip or brotli as the client accepts, once it is worth it (compression\'s 1 KB threshold)', async () => {
      const compressed: string[] = [];
      for (const path of everyFeed) {
        const plain = await raw(path, 'identity');
        assert.deepEqual([plain.status, plain.encoding], [200, undefined], path);
        for (const [encoding, decode] of [['gzip', gunzipSync], ['br', brotliDecompressSync]] as const) {
          const answer = await raw(path, encoding);
          assert.match(answer.vary ?? '', /accept-encoding/i, `${path}: caches keep each encoding apart`);
          if (plain.body.length < 1024) {
            assert.equal(answer.encoding, undefined, `${path}: ${plain.body.length} bytes, sent as they are`);
            continue;
          }
          assert.equal(answer.encoding, encoding, path);
          assert.ok(answer.body.length < plain.body.length, path);
          assert.deepEqual(decode(answer.body), plain.body, path);
          if (encoding === 'gzip') compressed.push(path.split('?')[0]!);
        }
      }
      // The lists are well over the threshold, so a feed left uncompressed fails here.
      for (const path of ['/api/parkapi/v1/qingdao-shibei', '/api/parkapi/v3/parking-sites', '/api/datex2/v3/parking-light.json', '/ngsi-ld/v1/entities']) assert.ok(compressed.includes(path), path);
      assert.ok(compressed.some((path) => path.startsWith('/ngsi-ld/v1/temporal/')), 'the temporal view');
    });
  });
});
