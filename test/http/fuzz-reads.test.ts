// Fuzzing the read routes' query strings and headers: history (a lot's and
// the dumps, JSON and CSV), forecasts, the standard feeds (ParkAPI v1 and v3,
// DATEX II, NGSI-LD with its temporal queries). Times near the service's day,
// centuries away, and not times at all; repeated parameters; prototype keys.
// The service never answers 500, never logs an error, and a read stores
// nothing. (The search, /api/lots, is fuzzed with the writes: fuzz.test.ts.)
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADMIN_TOKEN, api } from '../helpers/api.ts';
import { checkAnswer, fuzz, FUZZ_RUNS, idParam, nastyString, percent, PROTO_KEYS, queryString, rowCounts, send, startFuzzService, type FuzzService } from '../helpers/fuzz.ts';

const DAY = 86_400_000;
const LOT = 'hangzhou-rd-7';

describe('fuzzing the read routes: generated query strings for history, forecasts and the feeds', function () {
  this.timeout(120_000);
  let s: FuzzService;
  let base: string;
  let ran = 0;
  const stored = () => rowCounts(s.t.app.db, ['lots', 'lot_audit', 'history_5m', 'history_1h', 'history_dirty']);

  before(async () => {
    s = await startFuzzService({ ADMIN_TOKEN });
    base = s.base;
    // A week of history for one lot, so the history, the forecast and the temporal entities have points to give.
    const lines = Array.from({ length: 7 * 24 }, (_, hour) => `${LOT},${new Date(s.clock() - 7 * DAY + hour * 3_600_000).toISOString()},${(hour * 7) % 33}`);
    const imported = await fetch(`${base}/api/lots/${LOT}/history`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: `lot,at,occupied\n${lines.join('\n')}\n`,
    });
    assert.equal(imported.status, 200, await imported.text());
  });
  after(async () => {
    await s?.t.stop();
    console.log(`      (${ran} generated reads)`);
  });

  it('answers every generated read below 500 (NGSI-LD: a ProblemDetails), and stores nothing', async () => {
    const iso = (ms: number, offset: string) => {
      const minutes = offset === 'Z' ? 0 : (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
      return `${new Date(ms + minutes * 60_000).toISOString().slice(0, 19)}${offset}`;
    };
    const time = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.integer({ min: -10 * DAY, max: 8 * DAY }), fc.constantFrom('Z', '+08:00', '-05:30', '+14:00')).map(([offset, zone]) => () => iso(s.clock() + offset, zone)) },
      { weight: 1, arbitrary: fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => () => d.toISOString()) },
      { weight: 1, arbitrary: fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999+14:00', '2026-11-25T10:00:00', '2026-02-30T00:00:00Z', '2026-11-25', 'now', '1e12', '2026-11-25T10:00:00+99:00').map((t) => () => t) },
    );
    const timeValue = (keys: string[]) => fc.record({ key: fc.constantFrom(...keys), at: time }).map(({ key, at }) => () => `${key}=${percent(at())}`);
    const steps = fc.constantFrom('5m', '15m', '30m', '1h', '1d', '1w', '', '__proto__');
    /** A range that fits the routes, mostly: from, and to a while after it, in a step. */
    const range = (fromKey: string, toKey: string, stepKey: string, stepValues: fc.Arbitrary<string>) =>
      fc
        .record({ from: time, spanMs: fc.integer({ min: -3_600_000, max: 12 * DAY }), zone: fc.constantFrom('Z', '+08:00'), step: fc.option(stepValues, { nil: undefined }) })
        .map(({ from, spanMs, zone, step }) => () => {
          const start = from();
          const end = Number.isNaN(Date.parse(start)) ? start : iso(Date.parse(start) + spanMs, zone);
          return `${fromKey}=${percent(start)}&${toKey}=${percent(end)}${step === undefined ? '' : `&${stepKey}=${step}`}`;
        });
    /** The route's own parameters: a fitting range (or single times), then now and then anything (queryString). */
    const query = (keys: string[], timeKeys: string[], values: fc.Arbitrary<string>[], fitting?: fc.Arbitrary<() => string>) =>
      fc
        .tuple(
          fc.oneof(
            { weight: 2, arbitrary: fitting ?? fc.constant(() => '') },
            { weight: 1, arbitrary: fc.array(timeKeys.length ? timeValue(timeKeys) : fc.constant(() => ''), { maxLength: 3 }).map((times) => () => times.map((t) => t()).join('&')) },
          ),
          fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString(keys, values) }),
        )
        .map(([own, rest]) => () => [own(), rest].filter(Boolean).join('&'));
    const lotId = fc.oneof({ weight: 4, arbitrary: fc.constant(LOT) }, { weight: 1, arbitrary: idParam });
    const history = query(['from', 'to', 'step', 'format'], ['from', 'to'], [steps, fc.constantFrom('csv', 'json', 'xml')], range('from', 'to', 'step', steps));
    const dump = query(['from', 'to', 'step', 'format', 'bbox', 'type', 'features'], ['from', 'to'], [steps, fc.constantFrom('120.3,36.0,120.4,36.1', 'surface,underground', 'ev,disabled', 'csv')], range('from', 'to', 'step', steps));
    const forecast = query(['asOf', 'from', 'to', 'step'], ['asOf', 'from', 'to'], [steps], fc.oneof(range('from', 'to', 'step', steps), range('asOf', 'to', 'step', steps), fc.constant(() => '')));
    const urn = fc.oneof(
      lotId.map((id) => `urn:ngsi-ld:OffStreetParking:${id}`),
      fc.tuple(lotId, idParam).map(([id, space]) => `urn:ngsi-ld:ParkingSpot:${id}:${space}`),
      fc.constantFrom('urn:ngsi-ld:OffStreetParking:', 'urn:x', 'not a uri', 'urn:ngsi-ld:__proto__:x', 'http://example.com/x'),
      nastyString,
    );
    const entities = query(['type', 'id', 'options', 'format', 'limit', 'offset', 'count'], [], [
      fc.constantFrom('OffStreetParking', 'ParkingSpot', 'OffStreetParking,ParkingSpot', 'keyValues', 'simplified', 'normalized', 'true', '1000', '1001'),
      urn,
    ], fc.oneof(fc.constantFrom('OffStreetParking', 'ParkingSpot', 'OffStreetParking,ParkingSpot').map((type) => () => `type=${type}`), urn.map((id) => () => `id=${percent(id)}`)));
    const periods = fc.constantFrom('PT5M', 'PT15M', 'PT30M', 'PT1H', 'P1D', 'P1W', 'constructor', 'toString');
    const temporal = query(['timerel', 'timeAt', 'endTimeAt', 'attrs', 'aggrPeriodDuration', 'options'], ['timeAt', 'endTimeAt'], [
      fc.constantFrom('between', 'before', 'after', 'temporalValues', 'availableSpotNumber,occupiedSpotNumber', 'occupiedSpotNumber'), periods,
    ], fc.oneof(
      range('timeAt', 'endTimeAt', 'aggrPeriodDuration', periods).map((q) => () => `timerel=between&${q()}`),
      fc.tuple(fc.constantFrom('before', 'after'), time).map(([rel, at]) => () => `timerel=${rel}&timeAt=${percent(at())}`),
    ));
    const any = queryString(['callback', 'fields', ...PROTO_KEYS]).map((q) => () => q);
    const route = fc.oneof(
      fc.tuple(lotId, fc.constantFrom('history', 'history.csv'), history).map(([id, path, q]) => () => `/api/lots/${id}/${path}?${q()}`),
      fc.tuple(fc.constantFrom('history', 'history.csv'), dump).map(([path, q]) => () => `/api/${path}?${q()}`),
      fc.tuple(lotId, forecast).map(([id, q]) => () => `/api/lots/${id}/forecast?${q()}`),
      fc.tuple(fc.constantFrom('/api/parkapi/v1/', '/api/parkapi/v1/qingdao', '/api/parkapi/v3/parking-sites', '/api/datex2/v3/parking-light.json'), any).map(([path, q]) => () => `${path}?${q()}`),
      fc.tuple(fc.oneof(idParam, fc.constantFrom('qingdao', LOT)), any).map(([city, q]) => () => `/api/parkapi/v1/${city}?${q()}`),
      fc.tuple(fc.oneof(lotId, fc.constantFrom('12345', '0', '9'.repeat(17))), any).map(([id, q]) => () => `/api/parkapi/v3/parking-sites/${id}?${q()}`),
      entities.map((q) => () => `/ngsi-ld/v1/entities?${q()}`),
      fc.tuple(urn, query(['options', 'format'], [], [fc.constantFrom('keyValues', 'simplified', 'normalized')])).map(([id, q]) => () => `/ngsi-ld/v1/entities/${percent(id)}?${q()}`),
      fc.tuple(urn, temporal).map(([id, q]) => () => `/ngsi-ld/v1/temporal/entities/${percent(id)}?${q()}`),
      temporal.map((q) => () => `/ngsi-ld/v1/temporal/entities?${q()}`),
    );
    const headers = fc.record(
      {
        accept: fc.constantFrom('application/json', 'text/csv', 'application/ld+json', 'application/geo+json', '*/*', 'text/html', 'x/y', 'text/csv;q=0.1, application/json'),
        'if-none-match': fc.constantFrom('*', 'W/"x"', '"x", W/"y"', '', 'W/'),
        'accept-language': fc.constantFrom('zh-CN', 'en', '*', 'xx;q=2'),
      },
      { requiredKeys: [] },
    );
    const before = await stored();
    ran = await fuzz(fc.record({ route, headers }), async ({ route: path, headers: sent }) => {
      const url = path();
      const answer = await send(base, 'GET', url, sent);
      checkAnswer(answer, `GET ${url} ${JSON.stringify(sent)}`);
    });
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
    assert.equal(await stored(), before, 'a read stored something');
    assert.deepEqual(s.errorsLogged(), [], 'nothing logged as an error');
    assert.equal((await api(base, 'GET', `/api/lots/${LOT}`)).status, 200);
  });

  // What the fuzzer found, kept as plain cases.
  it('answers an NGSI-LD entity asked with options twice → 400 ProblemDetails (it was a 500: .split on a list)', async () => {
    const answer = await send(base, 'GET', `/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:${LOT}?options=keyValues&options=keyValues`, {});
    assert.equal(answer.status, 400, answer.text);
    assert.equal((answer.body as { type: string }).type, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    assert.equal((await send(base, 'GET', `/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:${LOT}?options=keyValues`, {})).status, 200);
    assert.deepEqual(s.errorsLogged(), []);
  });

  it('answers an NGSI-LD path that is not percent-encoded UTF-8 → 400 ProblemDetails, as NGSI-LD answers (it was Kongwei\'s {"error"})', async () => {
    for (const path of ['/ngsi-ld/v1/entities/%ED%A0%80', '/ngsi-ld/v1/temporal/entities/%FF?timerel=before&timeAt=2026-11-25T00:00:00Z']) {
      const answer = await send(base, 'GET', path, {});
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(Object.keys(answer.body as object), ['type', 'title', 'detail'], answer.text);
      assert.equal((answer.body as { type: string }).type, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });
});
