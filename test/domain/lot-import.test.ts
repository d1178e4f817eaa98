// The pure parts of HTTP ingest and bulk lots: a body as messages, the paths
// of a gateway; import rows from CSV cells, GeoJSON and JSON; the plan of an
// import (ids kept, derived, matched; every bad row named).
import assert from 'node:assert/strict';
import { gatewayTopics } from '../../server/domain/gateway-topics.ts';
import { ingestPathsOf, MAX_INGEST_BATCH, splitIngestBody } from '../../server/domain/http-ingest.ts';
import { planImport, type OwnedLot } from '../../server/domain/import-plan.ts';
import { cellValue, rowsFromCsv, rowsFromGeoJson, rowsFromJson, type ImportRow } from '../../server/domain/lot-import.ts';
import type { LotMeta } from '../../server/domain/lot.ts';
import type { Principal } from '../../server/domain/principal.ts';

const text = (u: Uint8Array) => Buffer.from(u).toString('utf8');
const ADMIN: Principal = { id: 'op-admin', name: 'Admin', role: 'admin' };
const OPERATOR: Principal = { id: 'op-1', name: 'One', role: 'operator' };
const lot = (id: string, name: string, extra: Partial<LotMeta> = {}): LotMeta => ({
  id, name, nameEn: null, address: null, lat: 36.09, lon: 120.37, type: 'surface', status: 'open', capacity: 10, staleAfterS: null,
  openingHours: null, capacityDisabled: null, capacityCharging: null, capacityFamily: null, capacityWomen: null, baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null, fee: null,
  priceInfo: null, priceInfoEn: null, maxHeightCm: null, ...extra,
});
const row = (at: string, fields: Record<string, unknown>): ImportRow => ({ at, fields });
const base = { lat: 36.09, lon: 120.37, type: 'surface', status: 'open', capacity: 10 };

describe('domain: HTTP ingest bodies and paths', () => {
  it('splits a JSON array into its messages (a string element is a text payload), and keeps anything else whole', () => {
    const split = splitIngestBody(Buffer.from('[{"occupied":1},"online",null]'));
    assert.ok(split.ok);
    assert.deepEqual(split.payloads.map(text), ['{"occupied":1}', 'online', 'null']);
    for (const whole of ['{"occupied":1}', 'offline', '', '[not json', '  ']) {
      const one = splitIngestBody(Buffer.from(whole));
      assert.ok(one.ok && one.payloads.length === 1 && text(one.payloads[0]!) === whole, whole);
    }
    assert.deepEqual(splitIngestBody(Buffer.from('[]')), { ok: false, problem: 'empty_batch', count: 0 });
    assert.deepEqual(splitIngestBody(Buffer.from(JSON.stringify(Array(MAX_INGEST_BATCH + 1).fill({})))), { ok: false, problem: 'too_many', count: 1001 });
  });

  it("lists a gateway's paths: its publish topics with /api/ingest for the base", () => {
    assert.deepEqual(ingestPathsOf('city/parking', gatewayTopics('city/parking', 'gw-1', ['lot-a'])), [
      '/api/ingest/lots/lot-a/count', '/api/ingest/lots/lot-a/gate', '/api/ingest/lots/lot-a/heartbeat', '/api/ingest/lots/lot-a/spaces/{space}',
      '/api/ingest/gateways/gw-1/status',
    ]);
  });
});

describe('domain: import rows', () => {
  it('turns CSV cells into values: numbers, yes/no, empty as null; a bad number stays text for the schema to name', () => {
    assert.deepEqual(
      [cellValue('capacity', ' 120 '), cellValue('lat', '36.5'), cellValue('lat', '36,5'), cellValue('fee', '是'), cellValue('fee', 'FALSE'), cellValue('fee', 'maybe'), cellValue('name', ''), cellValue('name', ' 停车场 ')],
      [120, 36.5, '36,5', true, false, 'maybe', null, ' 停车场 '],
    );
  });

  it('names CSV rows by line; an empty id cell asks for a derived one; an unknown column or a row too wide is named', () => {
    const rows = rowsFromCsv([{ line: 1, cells: ['id', 'name', 'capacity'] }, { line: 2, cells: ['', '甲', '5'] }, { line: 4, cells: ['b', '乙', ''] }]);
    assert.deepEqual(rows, { ok: true, rows: [row('line 2', { name: '甲', capacity: 5 }), row('line 4', { id: 'b', name: '乙', capacity: null })] });
    const header = rowsFromCsv([{ line: 1, cells: ['name', 'colour', 'name'] }]);
    assert.deepEqual(!header.ok && header.problems.map((p) => [p.at, Object.keys(p.fields)]), [['line 1', ['colour', 'name']]]);
    const wide = rowsFromCsv([{ line: 1, cells: ['name'] }, { line: 2, cells: ['a', 'b'] }]);
    assert.deepEqual(!wide.ok && wide.problems.map((p) => p.at), ['line 2']);
  });

  it('reads GeoJSON as [lon, lat] and JSON as {"lots":[…]}, ignoring the live fields of the read API', () => {
    const geo = rowsFromGeoJson({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'a', geometry: { type: 'Point', coordinates: [120.37, 36.09] }, properties: { name: '甲', free: 3 } }] });
    assert.deepEqual(geo, { ok: true, rows: [row('features[0]', { name: '甲', id: 'a', lat: 36.09, lon: 120.37 })] });
    const json = rowsFromJson({ lots: [{ id: 'a', name: '甲', availability: 'full', stale: false }, 'x'] });
    assert.deepEqual(!json.ok && json.problems.map((p) => p.at), ['lots[1]']);
    assert.equal(rowsFromJson({ type: 'FeatureCollection', features: [] }).ok, true, 'a FeatureCollection sent as JSON');
    assert.equal(rowsFromJson([{ name: 'x' }]).ok, false);
  });
});

describe('domain: the plan of an import', () => {
  const existing = new Map<string, OwnedLot>([
    ['jia', { lot: lot('jia', '甲'), ownerId: 'op-1' }],
    ['yi', { lot: lot('yi', '乙'), ownerId: 'op-1' }],
    ['other', { lot: lot('other', '别人的'), ownerId: 'op-2' }],
    ['shared-name', { lot: lot('shared-name', 'Something else'), ownerId: 'op-1' }],
  ]);

  it('updates a row with an id, creates one without (derived id, skipping taken ones), and matches an id-less row to its own lot of that name', () => {
    const plan = planImport(
      [
        row('line 2', { id: 'jia', capacity: 20 }),
        row('line 3', { name: '乙', ...base }),
        row('line 4', { name: 'x', nameEn: 'Shared Name', ...base }),
        row('line 7', { name: '甲', ...base }),
        row('line 5', { id: 'new-one', name: '新', ...base }),
        row('line 6', { name: '新', nameEn: 'New One', ...base }),
      ],
      existing,
      OPERATOR,
      'op-1',
      () => 'rnd',
    );
    assert.ok(plan.ok, JSON.stringify(!plan.ok && plan.problems));
    assert.deepEqual(plan.rows.map((r) => [r.at, r.lot.id, r.action, r.ownerId]), [
      ['line 2', 'jia', 'updated', 'op-1'],
      ['line 3', 'yi', 'unchanged', 'op-1'],
      ['line 4', 'shared-name-2', 'created', 'op-1'],
      // "jia" is the file's own (line 2): an id-less row does not take it.
      ['line 7', 'jia-2', 'created', 'op-1'],
      ['line 5', 'new-one', 'created', 'op-1'],
      ['line 6', 'new-one-2', 'created', 'op-1'],
    ]);
    assert.deepEqual(plan.rows[0]!.changes, { capacity: { from: 10, to: 20 } });
  });

  it("names every bad row: another operator's lot, an id twice, bad fields; an admin may take any lot", () => {
    const rows = [row('lots[0]', { id: 'other', capacity: 1 }), row('lots[1]', { id: 'dup', name: 'a', ...base }), row('lots[2]', { id: 'dup', name: 'b', ...base }), row('lots[3]', { name: '', capacity: -1 })];
    const plan = planImport(rows, existing, OPERATOR, 'op-1', () => 'rnd');
    assert.ok(!plan.ok);
    assert.deepEqual(plan.problems.map((p) => [p.at, Object.keys(p.fields)]), [['lots[0]', ['id']], ['lots[2]', ['id']], ['lots[3]', ['name', 'lat', 'lon', 'type', 'status', 'capacity']]]);
    assert.ok(planImport([rows[0]!], existing, ADMIN, 'op-admin', () => 'rnd').ok);
  });
});
