// NGSI-LD over HTTP: OffStreetParking and ParkingSpot entities, key-values
// validated against the Smart Data Models' published schema.json, normalized
// ones checked for the NGSI-LD form; JSON-LD or JSON with a Link header;
// ProblemDetails errors; the temporal view from history. Every answer must match
// the OpenAPI document too.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { NGSI_LD_CONTEXT, SMART_DATA_MODELS_CONTEXT } from '../../server/domain/feeds/ngsi-ld.ts';
import { FEED_MAX_AGE_S } from '../../server/http/feeds-routes.ts';
import type { TestApp } from '../helpers/app.ts';
import { getFeed, NOW, publishedSchemas, startFeedScenario } from '../helpers/feeds.ts';

const schemas = publishedSchemas();
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
type Entity = Record<string, any> & { id: string; type: string };

/** A normalized entity's attributes must each be a Property (value), GeoProperty (value) or Relationship (object); gives its key-values. */
function keyValuesOf(entity: Entity): Entity {
  const flat: Entity = { id: entity.id, type: entity.type };
  for (const [name, attribute] of Object.entries(entity)) {
    if (name === 'id' || name === 'type' || name === '@context') continue;
    assert.ok(['Property', 'GeoProperty', 'Relationship'].includes(attribute.type), `${entity.id} ${name}: ${JSON.stringify(attribute)}`);
    if (attribute.type === 'Relationship') {
      assert.ok('object' in attribute && !('value' in attribute), `${entity.id} ${name}`);
      flat[name] = attribute.object;
    } else {
      assert.ok('value' in attribute, `${entity.id} ${name}`);
      flat[name] = attribute.value;
    }
  }
  return flat;
}

describe('feeds: NGSI-LD', function () {
  this.timeout(30_000);
  let t: TestApp;
  let mqtt: MqttClient;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}) => getFeed(base, path, headers);
  const entities = async (query: string, headers: Record<string, string> = {}) => {
    const answer = await get(`/ngsi-ld/v1/entities?${query}`, headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return new Map((answer.body as Entity[]).map((e) => [e.id, e]));
  };
  const lot = (id: string) => `urn:ngsi-ld:OffStreetParking:${id}`;

  before(async () => {
    ({ t, mqtt } = await startFeedScenario());
    base = t.app.httpUrl;
  });
  after(async () => {
    await mqtt?.endAsync();
    await t?.stop();
  });

  it('gives every lot as a key-values OffStreetParking that validates against the published schema.json', async () => {
    const lots = await entities('type=OffStreetParking&options=keyValues&limit=100');
    assert.equal(lots.size, 9);
    for (const entity of lots.values()) assert.deepEqual(schemas('offstreetparking.schema.json', entity), [], entity.id);
    const fresh = lots.get(lot('fresh'))!;
    assert.deepEqual([fresh.availableSpotNumber, fresh.occupiedSpotNumber, fresh.totalSpotNumber, fresh.status], [30, 10, 40, ['open', 'spacesAvailable']]);
    assert.deepEqual(fresh.location, { type: 'Point', coordinates: [120.36, 36.09] });
    assert.deepEqual(fresh.category, ['underground']);
    assert.equal(fresh.occupancyModified, iso(NOW - 60_000));
    const details = lots.get(lot('details'))!;
    assert.deepEqual([details.maximumAllowedHeight, details.openingHours, details.address], [2.1, '24/7', { streetAddress: '市北区测试路1号' }]);
    assert.deepEqual(details.category, ['parkingLot', 'feeCharged', 'forDisabled', 'forElectricalCharging']);
  });

  it('keeps the map\'s truth: no number for stale data; not open → status closed with 0 available, never full', async () => {
    const lots = await entities('type=OffStreetParking&options=keyValues&limit=100');
    for (const id of ['stale', 'nodata']) {
      assert.equal(lots.get(lot(id))!.availableSpotNumber, undefined, id);
      assert.equal(lots.get(lot(id))!.occupiedSpotNumber, undefined, id);
      assert.deepEqual(lots.get(lot(id))!.status, ['open'], id);
    }
    for (const id of ['building', 'evening']) {
      assert.deepEqual([lots.get(lot(id))!.availableSpotNumber, lots.get(lot(id))!.status], [0, ['closed']], id);
    }
    assert.deepEqual([lots.get(lot('full'))!.availableSpotNumber, lots.get(lot('full'))!.status], [0, ['open', 'full']]);
    assert.equal(lots.get(lot('over'))!.availableSpotNumber, 0, 'a clamped count: 0, not below');
  });

  it('answers normalized by default, live attributes with observedAt, the @context in a Link header', async () => {
    const answer = await get('/ngsi-ld/v1/entities?type=OffStreetParking&limit=100');
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(answer.headers.get('link') ?? '', new RegExp(`^<${SMART_DATA_MODELS_CONTEXT.replace(/[.]/g, '\\.')}>; rel="http://www.w3.org/ns/json-ld#context"`));
    const lots = new Map((answer.body as Entity[]).map((e) => [e.id, e]));
    const fresh = lots.get(lot('fresh'))!;
    assert.deepEqual(fresh.availableSpotNumber, { type: 'Property', value: 30, observedAt: iso(NOW - 60_000) });
    assert.deepEqual(fresh.location, { type: 'GeoProperty', value: { type: 'Point', coordinates: [120.36, 36.09] } });
    assert.equal(fresh.status.observedAt, iso(NOW - 60_000));
    assert.equal(lots.get(lot('stale'))!.availableSpotNumber, undefined);
    for (const entity of lots.values()) assert.deepEqual(schemas('offstreetparking.schema.json', keyValuesOf(entity)), [], entity.id);
  });

  it('answers JSON-LD, @context in each entity, to Accept: application/ld+json', async () => {
    const answer = await get('/ngsi-ld/v1/entities?type=OffStreetParking&options=keyValues', { accept: 'application/ld+json' });
    assert.match(answer.headers.get('content-type') ?? '', /^application\/ld\+json/);
    assert.equal(answer.body.length, 9);
    for (const entity of answer.body as Entity[]) assert.deepEqual(entity['@context'], NGSI_LD_CONTEXT);
    assert.match(answer.headers.get('vary') ?? '', /Accept/i);
  });

  it('gives each bay of a lot with bay sensors as a ParkingSpot naming its lot (refParkingSite), valid by its schema.json', async () => {
    const spots = await entities('type=ParkingSpot&options=keyValues');
    assert.deepEqual([...spots.keys()], ['urn:ngsi-ld:ParkingSpot:bays:s1', 'urn:ngsi-ld:ParkingSpot:bays:s2']);
    for (const spot of spots.values()) assert.deepEqual(schemas('parkingspot.schema.json', spot), [], spot.id);
    assert.deepEqual([...spots.values()].map((s) => [s.status, s.refParkingSite, s.category]), [
      ['occupied', lot('bays'), ['offStreet']],
      ['free', lot('bays'), ['offStreet']],
    ]);
    const normalized = await entities('type=ParkingSpot');
    const s1 = normalized.get('urn:ngsi-ld:ParkingSpot:bays:s1')!;
    assert.deepEqual(s1.refParkingSite, { type: 'Relationship', object: lot('bays') });
    assert.deepEqual(s1.status, { type: 'Property', value: 'occupied', observedAt: iso(NOW - 20_000) });
    assert.deepEqual(schemas('parkingspot.schema.json', keyValuesOf(s1)), []);
  });

  it('gives one entity by id, lot or bay; ProblemDetails for an unknown one (404) and for an id that is not a URI (400)', async () => {
    const one = await get(`/ngsi-ld/v1/entities/${lot('fresh')}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, lot('fresh'));
    assert.equal(one.body.availableSpotNumber.value, 30);
    const spot = await get('/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:bays:s2?options=keyValues');
    assert.deepEqual([spot.status, spot.body.status], [200, 'free']);
    for (const [id, status, type] of [
      [lot('no-such-lot'), 404, 'ResourceNotFound'],
      ['urn:ngsi-ld:ParkingSpot:bays:s9', 404, 'ResourceNotFound'],
      ['urn:ngsi-ld:Vehicle:car-1', 404, 'ResourceNotFound'],
      ['not-a-uri', 400, 'BadRequestData'],
    ] as const) {
      const answer = await get(`/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
      assert.equal(answer.status, status, id);
      assert.equal(answer.body.type, `https://uri.etsi.org/ngsi-ld/errors/${type}`, id);
      assert.equal(typeof answer.body.title, 'string');
      assert.equal(typeof answer.body.detail, 'string');
    }
  });

  it('queries: needs a type or ids; filters by id; pages with limit and offset; counts with count=true; an unknown type is empty', async () => {
    const none = await get('/ngsi-ld/v1/entities');
    assert.deepEqual([none.status, none.body.type], [400, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData']);
    const bad = await get('/ngsi-ld/v1/entities?type=OffStreetParking&limit=5000');
    assert.deepEqual([bad.status, bad.body.type], [400, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData']);
    assert.deepEqual([...(await entities(`id=${lot('fresh')},${lot('full')}&options=keyValues`)).keys()].sort(), [lot('fresh'), lot('full')]);
    const page = await get('/ngsi-ld/v1/entities?type=OffStreetParking,ParkingSpot&limit=4&offset=8&count=true&options=keyValues');
    assert.equal(page.headers.get('ngsild-results-count'), '11');
    assert.deepEqual((page.body as Entity[]).map((e) => e.type), ['OffStreetParking', 'ParkingSpot', 'ParkingSpot']);
    assert.equal((await entities('type=Vehicle')).size, 0);
    assert.equal((await entities('type=https://smartdatamodels.org/dataModel.Parking/OffStreetParking&limit=100')).size, 9);
  });

  it('gives a lot\'s temporal view from its history: an instance per period, none where nothing was known', async () => {
    await t.app.historyRecorder.flush();
    const range = `timerel=between&timeAt=${iso(NOW - 10 * 60_000)}&endTimeAt=${iso(NOW)}&aggrPeriodDuration=PT5M`;
    const normalized = await get(`/ngsi-ld/v1/temporal/entities/${lot('fresh')}?${range}`);
    assert.equal(normalized.status, 200, JSON.stringify(normalized.body));
    assert.equal(normalized.body.id, lot('fresh'));
    // Counted 10 of 40 a minute before NOW: the last five minutes have it, the five before nothing (no instance, not a 0).
    assert.deepEqual(normalized.body.availableSpotNumber, [{ type: 'Property', value: 30, observedAt: new Date(NOW - 5 * 60_000).toISOString() }]);
    assert.deepEqual(normalized.body.occupiedSpotNumber, [{ type: 'Property', value: 10, observedAt: new Date(NOW - 5 * 60_000).toISOString() }]);
    const values = await get(`/ngsi-ld/v1/temporal/entities/${lot('fresh')}?${range}&attrs=availableSpotNumber&options=temporalValues`);
    assert.deepEqual(values.body.availableSpotNumber, { type: 'Property', values: [[30, new Date(NOW - 5 * 60_000).toISOString()]] });
    assert.equal(values.body.occupiedSpotNumber, undefined);
  });

  it('answers bad temporal queries with NGSI-LD errors: a bad range 400, an unknown lot 404, bays and many entities 501', async () => {
    const problems: [string, number, string][] = [
      [`/ngsi-ld/v1/temporal/entities/${lot('fresh')}?timeAt=${iso(NOW)}`, 400, 'BadRequestData'],
      [`/ngsi-ld/v1/temporal/entities/${lot('fresh')}?timerel=between&timeAt=${iso(NOW)}`, 400, 'BadRequestData'],
      [`/ngsi-ld/v1/temporal/entities/${lot('fresh')}?timerel=before&timeAt=${iso(NOW)}&aggrPeriodDuration=PT5M&attrs=totalSpotNumber`, 400, 'BadRequestData'],
      [`/ngsi-ld/v1/temporal/entities/${lot('nowhere')}?timerel=before&timeAt=${iso(NOW)}`, 404, 'ResourceNotFound'],
      [`/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:ParkingSpot:bays:s1?timerel=before&timeAt=${iso(NOW)}`, 501, 'OperationNotSupported'],
      ['/ngsi-ld/v1/temporal/entities?type=OffStreetParking', 501, 'OperationNotSupported'],
    ];
    for (const [path, status, type] of problems) {
      const answer = await get(path);
      assert.equal(answer.status, status, path);
      assert.equal(answer.body.type, `https://uri.etsi.org/ngsi-ld/errors/${type}`, path);
    }
  });

  it('is read-only, open to any origin, and cheap to poll (ETag, 304, Cache-Control on every answer)', async () => {
    const cacheControl = `public, max-age=${FEED_MAX_AGE_S}`;
    const post = await fetch(`${base}/ngsi-ld/v1/entities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(post.status, 501);
    assert.equal(((await post.json()) as Entity).type, 'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported');
    assert.equal(post.headers.get('cache-control'), cacheControl, 'errors too');
    const temporal = `/ngsi-ld/v1/temporal/entities/${lot('fresh')}?timerel=before&timeAt=${iso(NOW)}`;
    for (const path of ['/ngsi-ld/v1/entities?type=OffStreetParking', `/ngsi-ld/v1/entities/${lot('fresh')}`, temporal]) {
      const first = await get(path);
      assert.equal(first.status, 200, path);
      assert.equal(first.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(first.headers.get('cache-control'), cacheControl, path);
      const again = await get(path, { 'if-none-match': first.headers.get('etag')! });
      assert.equal(again.status, 304, path);
      assert.equal(again.headers.get('cache-control'), cacheControl, `${path}: the 304 too`);
    }
    assert.equal((await get(`/ngsi-ld/v1/entities/${lot('nowhere')}`)).headers.get('cache-control'), cacheControl, 'a 404 too');
  });
});
