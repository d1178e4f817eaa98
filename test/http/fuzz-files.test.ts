// Fuzzing the routes that take files: POST /api/lots/import (JSON
// {"lots":[…]}, CSV with generated headers and rows, GeoJSON
// FeatureCollections) and POST /api/lots/{id}/history (CSV). Nearly valid
// files, files with prototype keys as fields, columns or properties, files
// that are not what their Content-Type says. The service never answers 500,
// never logs an error, and stores nothing from a file it refused.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import {
  checkAnswer, fuzz, FUZZ_RUNS, idParam, LOT_FIELDS, nastyNumber, nastyString, nearlyALot, PROTO_KEYS, rawBody, rowCounts, send,
  startFuzzService, value, withProtoKey, type FuzzService,
} from '../helpers/fuzz.ts';

/** A CSV cell, quoted as a spreadsheet writes it — or not at all, as a careless script writes it. */
const cellOf = (cell: unknown, careless: boolean) => {
  const text = cell === null || cell === undefined ? '' : typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
  return careless || !/[",\r\n]|^\s|\s$/.test(text) ? text : `"${text.replace(/"/g, '""')}"`;
};
const csvOf = (rows: unknown[][], careless: boolean, lineBreak: string) => rows.map((row) => row.map((cell) => cellOf(cell, careless)).join(',')).join(lineBreak);
const csvStyle = fc.record({ careless: fc.boolean(), lineBreak: fc.constantFrom('\n', '\r\n', '\r'), bom: fc.boolean() });

/** A CSV of lots: the columns of nearly valid lots (and random and prototype-key columns), rows under them, sometimes a cell too many. */
const lotsCsv = fc
  .record({
    lots: fc.array(nearlyALot, { minLength: 0, maxLength: 4 }),
    extraColumns: fc.oneof(fc.constant([]), fc.array(fc.oneof(fc.constantFrom(...PROTO_KEYS, ...LOT_FIELDS, '', ' name '), fc.string({ maxLength: 8 })), { maxLength: 2 })),
    extraCell: fc.option(nastyString, { nil: undefined }),
    style: csvStyle,
  })
  .map(({ lots, extraColumns, extraCell, style }) => {
    const columns = [...new Set(lots.flatMap((lot) => Object.keys(lot)))].concat(extraColumns);
    const rows = lots.map((lot) => columns.map((column) => (Object.hasOwn(lot, column) ? (lot as Record<string, unknown>)[column] : '')));
    if (extraCell !== undefined && rows[0]) rows[0].push(extraCell);
    return `${style.bom ? '\ufeff' : ''}${csvOf([columns.length ? columns : ['name'], ...rows], style.careless, style.lineBreak)}`;
  });
const coordinate = fc.oneof(fc.double({ min: 120.2, max: 120.5, noNaN: true }), fc.double({ min: 35.9, max: 36.2, noNaN: true }), nastyNumber);
/** A GeoJSON FeatureCollection of nearly valid lots: Points (or not), the other fields in properties, prototype keys among them. */
const lotsGeoJson = fc
  .array(
    fc.record({
      lot: nearlyALot,
      geometry: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.array(coordinate, { maxLength: 4 }).map((coordinates) => ({ type: 'Point', coordinates })) },
        { weight: 1, arbitrary: value },
      ),
      idInFeature: fc.boolean(),
      keepLatLon: fc.boolean(),
      properties: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value }),
    }),
    { maxLength: 4 },
  )
  .chain((features) =>
    fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) }).map((protoProperty) => ({
      type: 'FeatureCollection',
      features: features.map(({ lot, geometry, idInFeature, keepLatLon, properties }) => {
        const { id, lat, lon, ...rest } = lot as Record<string, unknown>;
        const props: Record<string, unknown> = { ...rest, ...(keepLatLon ? { lat, lon } : {}), ...(idInFeature ? {} : { id }) };
        const json = JSON.stringify(props);
        // A prototype key as an own property, as JSON.parse makes it on the server (and JSON.stringify writes it back).
        const withKey = protoProperty ? JSON.parse(`{${JSON.stringify(protoProperty)}:1${json === '{}' ? '' : ','}${json.slice(1)}`) : props;
        return { type: 'Feature', ...(idInFeature ? { id } : {}), geometry: geometry ?? { type: 'Point', coordinates: [lon, lat] }, properties: properties === undefined ? withKey : properties };
      }),
    })),
  );
const lotsJson = fc.array(nearlyALot, { maxLength: 4 }).map((lots) => JSON.stringify({ lots }));
const importBody = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constantFrom('application/json', 'application/json; charset=utf-8'), body: lotsJson }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('application/json'), body: lotsJson.chain(withProtoKey) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('application/json'), body: fc.array(nearlyALot.chain((lot) => withProtoKey(JSON.stringify(lot))), { minLength: 1, maxLength: 2 }).map((lots) => `{"lots":[${lots.join(',')}]}`) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constantFrom('text/csv', 'application/csv', 'text/csv; charset=utf-8', 'TEXT/CSV'), body: lotsCsv }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom('application/geo+json', 'application/json'), body: lotsGeoJson.map((collection) => JSON.stringify(collection)) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('application/json', 'application/geo+json', 'text/csv', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''), body: rawBody }) },
);

/** A history file for a lot: the header in any order or case, and lines of samples around the service's day. */
const historyCsv = fc
  .record({
    header: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<string[]>(['lot', 'at', 'occupied'], ['lot', 'at', 'occupied', 'capacity'], ['at', 'LOT', 'occupied'], ['occupied', 'capacity', 'lot', 'at']) },
      { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom('lot', 'at', 'occupied', 'capacity', ...PROTO_KEYS), fc.string({ maxLength: 6 })), { maxLength: 5 }) },
    ),
    lines: fc.array(
      fc.record({
        lot: fc.oneof({ weight: 6, arbitrary: fc.constant('fuzz-owned') }, { weight: 1, arbitrary: fc.constantFrom('hangzhou-rd-7', 'no-such-lot', '__proto__') }, { weight: 1, arbitrary: nastyString }),
        at: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: Date.parse('2026-11-18T00:00:00+08:00'), max: Date.parse('2026-11-25T09:00:00+08:00') }).map((ms) => new Date(ms).toISOString()) },
          { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
          { weight: 1, arbitrary: fc.constantFrom('2026-11-24T08:00:00', '2026-11-24', '1e12', '2026-11-24T08:00:00+25:00', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z') },
          { weight: 1, arbitrary: nastyString },
        ),
        occupied: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 60 }).map(String) }, { weight: 1, arbitrary: nastyNumber.map(String) }, { weight: 1, arbitrary: nastyString }),
        capacity: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 100 }).map(String) }, { weight: 1, arbitrary: nastyNumber.map(String) }),
      }),
      { maxLength: 6 },
    ),
    style: csvStyle,
  })
  .map(({ header, lines, style }) => {
    const rows = lines.map((line) => header.map((column) => (line as Record<string, string>)[column.toLowerCase()] ?? ''));
    return `${style.bom ? '\ufeff' : ''}${csvOf([header, ...rows], style.careless, style.lineBreak)}`;
  });

describe('fuzzing the file imports: generated lot files and history files', function () {
  this.timeout(120_000);
  let s: FuzzService;
  let base: string;
  let tokens: Record<string, string | undefined>;
  let cases = 0;
  const lotState = async () => JSON.stringify([await rowCounts(s.t.app.db, ['lots', 'lot_audit', 'gateways', 'gateway_lots']), [...s.t.app.catalog.all()]]);
  const historyState = () => rowCounts(s.t.app.db, ['history_5m', 'history_1h', 'history_dirty', 'history_recorder', 'lots']);

  before(async () => {
    s = await startFuzzService({ ADMIN_TOKEN });
    base = s.base;
    const [operator, other] = [await createOperator(base, 'Fuzz Importer'), await createOperator(base, 'Other Importer')];
    tokens = { operator: operator.token, other: other.token, admin: ADMIN_TOKEN, none: undefined };
    assert.equal((await api(base, 'POST', '/api/lots', { token: operator.token, body: newLot({ id: 'fuzz-owned' }) })).status, 201);
  });
  after(async () => {
    await s?.t.stop();
    console.log(`      (${cases} generated files)`);
  });
  afterEach(() => {
    assert.deepEqual(s.errorsLogged(), [], 'nothing logged as an error');
  });

  it('answers every generated import (JSON, CSV, GeoJSON) below 500, and stores nothing from a refused one', async () => {
    const dryRun = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.constantFrom('?dryRun=true', '?dryRun=1', '?dryRun=false') }, { weight: 1, arbitrary: fc.constantFrom('?dryRun=yes', '?dryRun=true&dryRun=false', '?__proto__=1', '?dryRun[]=true', '?x=1') });
    const who = fc.constantFrom('operator', 'operator', 'admin', 'other', 'none');
    const ran = await fuzz(fc.record({ file: importBody, query: dryRun, who }), async ({ file, query, who }) => {
      const auth = tokens[who];
      const headers: Record<string, string> = { ...(file.type ? { 'content-type': file.type } : {}), ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
      const before = await lotState();
      const answer = await send(base, 'POST', `/api/lots/import${query}`, headers, file.body);
      const what = `POST /api/lots/import${query} (${file.type}) ${file.body.slice(0, 200)}`;
      checkAnswer(answer, what);
      if (answer.status >= 400 || (answer.body as { dryRun?: boolean }).dryRun) assert.equal(await lotState(), before, `${what} → ${answer.status} changed something`);
      // Lots the fuzzer did create are removed again, so later cases meet the same catalog.
      if (answer.status === 200) {
        for (const lot of (answer.body as { dryRun: boolean; lots: { id: string; action: string }[] }).lots) {
          if (lot.action === 'created' && !(answer.body as { dryRun: boolean }).dryRun) assert.equal((await api(base, 'DELETE', `/api/lots/${lot.id}`, { token: ADMIN_TOKEN })).status, 204);
        }
      }
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('answers every generated history import below 500, and writes no history from a refused one', async () => {
    const path = fc.oneof({ weight: 4, arbitrary: fc.constant('fuzz-owned') }, { weight: 1, arbitrary: idParam });
    const type = fc.constantFrom('text/csv', 'text/csv', 'application/csv', 'text/plain', 'application/json', '');
    const body = fc.oneof({ weight: 5, arbitrary: historyCsv }, { weight: 1, arbitrary: rawBody });
    const ran = await fuzz(fc.record({ id: path, type, body, who: fc.constantFrom('operator', 'operator', 'admin', 'other', 'none') }), async ({ id, type, body, who }) => {
      const auth = tokens[who];
      const headers: Record<string, string> = { ...(type ? { 'content-type': type } : {}), ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
      const before = await historyState();
      const answer = await send(base, 'POST', `/api/lots/${id}/history`, headers, body);
      const what = `POST /api/lots/${id}/history (${type}) ${body.slice(0, 200)}`;
      checkAnswer(answer, what);
      if (answer.status >= 400) assert.equal(await historyState(), before, `${what} → ${answer.status} changed something`);
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('is still up and consistent afterwards', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await api(base, 'GET', '/api/lots/fuzz-owned')).status, 200);
    assert.equal((await api(base, 'GET', '/api/lots')).body.lots.length, s.t.app.catalog.size);
  });
});
