// Bulk lots through the API (DESIGN.md §4, "Bulk lots"): POST /api/lots/import
// with JSON, CSV or GeoJSON. All or nothing, every bad row named; a dry run
// stores nothing; idempotent by id; the new lots reach open maps at once;
// operators import into their own lots only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { seedLots } from '../../db/seed.ts';
import type { LotImportAnswer, LotImportProblemDetails } from '../../server/domain/lot-import.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, assertRequestTypeInApi, createOperator } from '../helpers/api.ts';
import { collectUpdates, connectSocket, eventually, startApp, subscribe, type TestApp, type TestSocket } from '../helpers/app.ts';
import { assertMatchesApi } from '../helpers/openapi.ts';

interface Refusal {
  error: { code: string; message: string; details: LotImportProblemDetails };
}

/** POSTs a file's content to the import, with its media type; the answer and the media type must match the OpenAPI document. */
async function importFile<T = LotImportAnswer>(
  base: string,
  token: string,
  content: string,
  contentType: string,
  query = '',
  acceptLanguage?: string,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': contentType };
  if (acceptLanguage) headers['accept-language'] = acceptLanguage;
  const path = `/api/lots/import${query}`;
  const res = await fetch(new URL(path, base), { method: 'POST', headers, body: content });
  const body = (await res.json()) as T;
  await assertMatchesApi(base, 'POST', path, res, body);
  await assertRequestTypeInApi(base, 'POST', path, res.status, contentType);
  return { status: res.status, body };
}

/** 27 new car parks of the district's programme, as an administrator's list would have them. */
function newCarParks(count = 27): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `new-lot-${String(i + 1).padStart(2, '0')}`,
    name: `市北区新建停车场${i + 1}号`,
    nameEn: `Shibei New Car Park No. ${i + 1}`,
    address: `市北区示例路${i + 1}号`,
    lat: 36.07 + i * 0.001,
    lon: 120.35 + i * 0.001,
    type: i % 3 === 0 ? 'multi_storey' : 'surface',
    status: 'open',
    capacity: 40 + i,
  }));
}

const COLUMNS = ['id', 'name', 'nameEn', 'address', 'lat', 'lon', 'type', 'status', 'capacity'] as const;
/** A CSV file written by hand (quotes where a cell has a comma or a quote), header first. */
function csvOf(lots: Record<string, unknown>[], columns: readonly string[] = COLUMNS): string {
  const cell = (value: unknown) => {
    const text = value === undefined || value === null ? '' : String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(','), ...lots.map((lot) => columns.map((c) => cell(lot[c])).join(','))].join('\n') + '\n';
}

describe('bulk lots: POST /api/lots/import', function () {
  this.timeout(30_000);
  let t: TestApp;
  let base: string;
  const sockets: TestSocket[] = [];
  const lot = async (id: string) => api<LotView>(base, 'GET', `/api/lots/${id}`);
  const auditOf = async (id: string) => (await api(base, 'GET', `/api/lots/${id}/audit`, { token: ADMIN_TOKEN })).body.entries as { action: string; changes: object }[];

  before(async () => {
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000' });
    base = t.app.httpUrl;
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await t?.stop();
  });

  it('stores nothing of 27 lots with one bad row, and names the row and its field (CSV line, JSON index)', async () => {
    const lots = newCarParks();
    lots[13]!.capacity = -5;
    const csv = await importFile<Refusal>(base, ADMIN_TOKEN, csvOf(lots), 'text/csv');
    assert.equal(csv.status, 400);
    assert.equal(csv.body.error.code, 'validation_failed');
    // The header is line 1, so the 14th lot is on line 15.
    assert.deepEqual(Object.keys(csv.body.error.details.fields), ['line 15.capacity']);
    assert.deepEqual(csv.body.error.details.rows.map((r) => [r.at, r.id, Object.keys(r.fields)]), [['line 15', 'new-lot-14', ['capacity']]]);
    assert.match(csv.body.error.message, /nothing was stored.*line 15 \(new-lot-14\): capacity: Too small/);
    const json = await api<Refusal>(base, 'POST', '/api/lots/import', { token: ADMIN_TOKEN, body: { lots } });
    assert.deepEqual([json.status, Object.keys(json.body.error.details.fields)], [400, ['lots[13].capacity']]);
    const zh = await importFile<Refusal>(base, ADMIN_TOKEN, csvOf(lots), 'text/csv', '', 'zh-CN');
    assert.match(zh.body.error.message, /^导入无效，未保存任何内容.*第 15 行（?.*capacity：不能小于 0/);
    assert.deepEqual(zh.body.error.details.fields, { 'line 15.capacity': ['不能小于 0'] });
    assert.equal(t.app.catalog.size, 9);
    assert.equal((await lot('new-lot-01')).status, 404);
  });

  it('reports in a dry run what would change, and stores nothing', async () => {
    const answer = await importFile(base, ADMIN_TOKEN, csvOf(newCarParks()), 'text/csv', '?dryRun=true');
    assert.equal(answer.status, 200);
    assert.deepEqual([answer.body.dryRun, answer.body.created, answer.body.updated, answer.body.unchanged], [true, 27, 0, 0]);
    assert.deepEqual(answer.body.lots[0], {
      at: 'line 2', id: 'new-lot-01', action: 'created',
      changes: answer.body.lots[0]!.changes,
    });
    assert.deepEqual((answer.body.lots[0]!.changes as Record<string, { to: unknown }>).name, { from: null, to: '市北区新建停车场1号' });
    assert.equal(t.app.catalog.size, 9);
    assert.equal((await lot('new-lot-01')).status, 404);
  });

  it('imports 27 lots at once, onto open maps; the same file again changes nothing and says so', async () => {
    const socket = await connectSocket(base);
    sockets.push(socket);
    await subscribe(socket, { bbox: [120.3, 36.0, 120.45, 36.2] });
    const pushed = collectUpdates(socket);
    const file = csvOf(newCarParks());
    const first = await importFile(base, ADMIN_TOKEN, file, 'text/csv');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.dryRun, first.body.created, first.body.updated, first.body.unchanged], [false, 27, 0, 0]);
    assert.equal(t.app.catalog.size, 36);
    const view = (await lot('new-lot-14')).body;
    assert.deepEqual([view.name, view.capacity, view.lat, view.lon, view.type], ['市北区新建停车场14号', 53, 36.083, 120.363, 'surface']);
    await eventually(() => new Set(pushed.flat().map((l) => l.id).filter((id) => id.startsWith('new-lot-'))).size === 27, 5000, 'all 27 pushed to the open map');

    const again = await importFile(base, ADMIN_TOKEN, file, 'text/csv');
    assert.deepEqual([again.body.created, again.body.updated, again.body.unchanged], [0, 0, 27]);
    assert.ok(again.body.lots.every((row) => row.action === 'unchanged' && Object.keys(row.changes).length === 0));
    assert.deepEqual((await auditOf('new-lot-14')).map((e) => e.action), ['lot.create'], 'an unchanged row is not audited');
  });

  it('updates a changed row through the rules of PATCH, audited, and leaves out fields as they are', async () => {
    const changed = await api<LotImportAnswer>(base, 'POST', '/api/lots/import', {
      token: ADMIN_TOKEN,
      body: { lots: [{ id: 'new-lot-14', capacity: 20, status: 'closed' }, { id: 'new-lot-15', capacityCharging: 500 }] },
    });
    assert.deepEqual([changed.status, Object.keys((changed.body as unknown as Refusal).error.details.fields)], [400, ['lots[1].capacityCharging']], 'the rules across fields hold');
    const answer = await api<LotImportAnswer>(base, 'POST', '/api/lots/import', { token: ADMIN_TOKEN, body: { lots: [{ id: 'new-lot-14', capacity: 20, status: 'closed' }] } });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.lots, [{ at: 'lots[0]', id: 'new-lot-14', action: 'updated', changes: { status: { from: 'open', to: 'closed' }, capacity: { from: 53, to: 20 } } }]);
    const view = (await lot('new-lot-14')).body;
    assert.deepEqual([view.capacity, view.status, view.availability, view.name], [20, 'closed', 'closed', '市北区新建停车场14号']);
    assert.deepEqual((await auditOf('new-lot-14')).map((e) => e.action), ['lot.create', 'lot.update']);
  });

  it('reads CSV with Chinese names, quoted commas and quotes, a byte-order mark and CRLF lines; derives ids without one, once', async () => {
    const rows = [
      { name: '延安路停车场，北区', nameEn: 'Yan\'an Rd Car Park, North', address: '市北区延安路88号, 北门 "A"', lat: 36.087, lon: 120.358, type: 'underground', status: 'open', capacity: 120 },
      { name: '辽宁路停车场', address: '市北区辽宁路', lat: 36.078, lon: 120.345, type: 'surface', status: 'planned', capacity: 35 },
    ];
    const file = '\uFEFF' + csvOf(rows, ['name', 'nameEn', 'address', 'lat', 'lon', 'type', 'status', 'capacity']).replace(/\n/g, '\r\n');
    const answer = await importFile(base, ADMIN_TOKEN, file, 'text/csv; charset=utf-8');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.lots.map((r) => [r.at, r.id, r.action]), [['line 2', 'yan-an-rd-car-park-north', 'created'], ['line 3', 'liao-ning-lu-ting-che-chang', 'created']]);
    const stored = t.app.catalog.get('yan-an-rd-car-park-north')!;
    assert.deepEqual([stored.name, stored.nameEn, stored.address], ['延安路停车场，北区', 'Yan\'an Rd Car Park, North', '市北区延安路88号, 北门 "A"']);
    const again = await importFile(base, ADMIN_TOKEN, file, 'text/csv');
    assert.deepEqual(again.body.lots.map((r) => [r.id, r.action]), [['yan-an-rd-car-park-north', 'unchanged'], ['liao-ning-lu-ting-che-chang', 'unchanged']], 'matched by the derived id and the name');
  });

  it('reads GeoJSON coordinates as [lon, lat], and names a feature whose coordinates are the wrong way round', async () => {
    const feature = (id: string, coordinates: number[]) => ({
      type: 'Feature', id, geometry: { type: 'Point', coordinates },
      properties: { name: `${id} 停车场`, type: 'surface', status: 'open', capacity: 10 },
    });
    const swapped = await importFile<Refusal>(base, ADMIN_TOKEN, JSON.stringify({ type: 'FeatureCollection', features: [feature('geo-a', [120.37, 36.09]), feature('geo-b', [36.09, 120.37])] }), 'application/geo+json');
    assert.equal(swapped.status, 400);
    assert.deepEqual(Object.keys(swapped.body.error.details.fields), ['features[1].lat']);
    assert.equal(t.app.catalog.get('geo-a'), undefined, 'nothing stored');
    const answer = await importFile(base, ADMIN_TOKEN, JSON.stringify({ type: 'FeatureCollection', features: [feature('geo-a', [120.37, 36.09])] }), 'application/geo+json');
    assert.equal(answer.status, 200);
    assert.deepEqual([t.app.catalog.get('geo-a')!.lat, t.app.catalog.get('geo-a')!.lon], [36.09, 120.37]);
    // The read API's own GeoJSON imports as it is: its live fields are ignored, nothing changes.
    const res = await fetch(`${base}/api/lots.geojson`);
    const roundTrip = await importFile(base, ADMIN_TOKEN, await res.text(), 'application/geo+json');
    assert.deepEqual([roundTrip.status, roundTrip.body.created, roundTrip.body.updated], [200, 0, 0]);
  });

  it('lets an operator import into its own lots only, naming a row of another operator\'s; an admin may import any', async () => {
    const owner = await createOperator(base, 'Import Owner');
    const other = await createOperator(base, 'Import Other');
    const mine = await api<LotImportAnswer>(base, 'POST', '/api/lots/import', { token: owner.token, body: { lots: [newCarParks(1).map((l) => ({ ...l, id: 'owned-lot' }))[0]] } });
    assert.equal(mine.status, 200);
    const refused = await api<Refusal>(base, 'POST', '/api/lots/import', {
      token: other.token,
      body: { lots: [{ ...newCarParks(1)[0], id: 'others-new-lot' }, { id: 'owned-lot', capacity: 1 }, { id: 'nanfeng-rd', capacity: 1 }] },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error.details.rows.map((r) => [r.at, r.id]), [['lots[1]', 'owned-lot'], ['lots[2]', 'nanfeng-rd']]);
    assert.match(refused.body.error.details.fields['lots[1].id']![0]!, /belongs to another operator/);
    assert.equal(t.app.catalog.get('others-new-lot'), undefined, 'all or nothing');
    const admin = await api<LotImportAnswer>(base, 'POST', '/api/lots/import', { token: ADMIN_TOKEN, body: { lots: [{ id: 'owned-lot', capacity: 30 }] } });
    assert.deepEqual([admin.status, admin.body.updated], [200, 1]);
  });

  it('imports the shipped example files of the Shibei lots as exactly the seeded lots', async () => {
    for (const [file, type] of [['db/examples/shibei-lots.csv', 'text/csv'], ['db/examples/shibei-lots.geojson', 'application/geo+json']] as const) {
      const answer = await importFile(base, ADMIN_TOKEN, readFileSync(file, 'utf8'), type, '?dryRun=1');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual([answer.body.created, answer.body.updated, answer.body.unchanged], [0, 0, seedLots().length], file);
    }
  });

  it('stores nothing when a write fails midway (the 5th row\'s insert): the catalog, the lots table and the audit log stay as they were', async () => {
    // A file that passes every check, and a database that fails on its 5th row: after an update and three inserts, each audited.
    const rows = [{ id: 'nanfeng-rd', capacity: 151 }, ...newCarParks(5).map((l, i) => ({ ...l, id: `rollback-0${i + 1}` }))];
    const db = t.app.db;
    const tableSizes = async () => Promise.all(['lots', 'lot_audit'].map(async (table) => Number((await db(table).count({ n: '*' }))[0]!.n)));
    const before = { sizes: await tableSizes(), ids: t.app.catalog.ids().sort(), nanfeng: (await lot('nanfeng-rd')).body, audit: await auditOf('nanfeng-rd') };
    await db.raw("CREATE TRIGGER import_fails_at_row_5 BEFORE INSERT ON lots WHEN NEW.id = 'rollback-04' BEGIN SELECT RAISE(ABORT, 'disk I/O error (a test trigger)'); END");
    try {
      const failed = await api(base, 'POST', '/api/lots/import', { token: ADMIN_TOKEN, body: { lots: rows } });
      assert.deepEqual([failed.status, failed.body.error.code, failed.body.error.message], [500, 'internal', 'internal error'], 'no database detail leaks');
    } finally {
      await db.raw('DROP TRIGGER import_fails_at_row_5');
    }
    assert.deepEqual(await tableSizes(), before.sizes, 'no lot row and no audit entry kept');
    assert.deepEqual(t.app.catalog.ids().sort(), before.ids);
    assert.equal(t.app.catalog.get('nanfeng-rd')!.capacity, before.nanfeng.capacity);
    assert.deepEqual((await lot('nanfeng-rd')).body, before.nanfeng);
    assert.deepEqual(await auditOf('nanfeng-rd'), before.audit);
    assert.equal((await lot('rollback-01')).status, 404);
    // The same file, with the database well again, is new in every row: nothing of the failed run was left behind.
    const again = await api<LotImportAnswer>(base, 'POST', '/api/lots/import', { token: ADMIN_TOKEN, body: { lots: rows } });
    assert.deepEqual([again.status, again.body.created, again.body.updated, again.body.unchanged], [200, 5, 1, 0]);
  });

  it('refuses another media type → 415, a bad dryRun → 400, no token → 401; stores nothing', async () => {
    assert.equal((await importFile(base, ADMIN_TOKEN, 'name\nx\n', 'text/plain')).status, 415);
    assert.equal((await importFile(base, ADMIN_TOKEN, csvOf(newCarParks(1)), 'text/csv', '?dryRun=maybe')).status, 400);
    const res = await fetch(`${base}/api/lots/import`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'name\n' });
    assert.equal(res.status, 401);
    const header = await importFile<Refusal>(base, ADMIN_TOKEN, 'name,colour\nx,red\n', 'text/csv');
    assert.deepEqual([header.status, Object.keys(header.body.error.details.fields)], [400, ['line 1.colour']]);
  });
});
