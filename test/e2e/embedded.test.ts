// The whole data path in the embedded mode, as `npm start` runs it: SQLite,
// the in-process store and the embedded broker, on free ports.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { LiveRows, LotLive } from '../../server/domain/contract.ts';
import { fromLiveRows } from '../../server/domain/live-rows.ts';
import type { LotView } from '../../server/domain/lot.ts';
import {
  collectUpdates, connectMqtt, connectSocket, eventually, getJson, publish, startApp, subscribe,
  type TestApp, type TestSocket,
} from '../helpers/app.ts';

const SHIBEI_BBOX = [120.30, 36.06, 120.40, 36.12] as const;
const BEIJING_BBOX = [116.3, 39.8, 116.5, 40.0] as const;

describe('end to end: embedded mode', function () {
  let t: TestApp;
  let mqtt: MqttClient;
  const sockets: TestSocket[] = [];
  const lot = async (id: string) => (await getJson<LotView>(t.app.httpUrl, `/api/lots/${id}`)).body;
  const socket = async () => {
    const s = await connectSocket(t.app.httpUrl);
    sockets.push(s);
    return s;
  };

  before(async () => {
    t = await startApp();
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await mqtt?.endAsync();
    await t?.stop();
  });

  it('serves the nine seeded Shibei lots, with no data yet', async () => {
    const { status, body } = await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots');
    assert.equal(status, 200);
    assert.equal(body.lots.length, 9);
    assert.ok(body.lots.every((l) => l.free === null && l.updatedAt === null));
  });

  it('applies a count published over MQTT before acknowledging it, and pushes it to the matching sockets only', async () => {
    const byId = await socket();
    const byBBox = await socket();
    const elsewhere = await socket();
    const snapshot = await subscribe(byId, { ids: ['hangzhou-rd-7'] });
    assert.ok('lots' in snapshot);
    assert.deepEqual(snapshot.lots.map((l) => [l.id, l.free]), [['hangzhou-rd-7', null]]);
    const area = await subscribe(byBBox, { bbox: SHIBEI_BBOX });
    assert.ok('lots' in area && area.lots.length === 9);
    const far = await subscribe(elsewhere, { bbox: BEIJING_BBOX });
    assert.ok('lots' in far && far.lots.length === 0);
    const [idUpdates, bboxUpdates, farUpdates] = [collectUpdates(byId), collectUpdates(byBBox), collectUpdates(elsewhere)];

    await publish(mqtt, 'parking/lots/hangzhou-rd-7/count', { occupied: 10 });
    // The PUBACK came after the commit: the API shows it at once, no waiting.
    const view = await lot('hangzhou-rd-7');
    assert.deepEqual([view.free, view.occupied, view.capacity], [22, 10, 32]);

    const pushed = await eventually(() => idUpdates.flat().find((l) => l.id === 'hangzhou-rd-7'), 2000, 'lots:update');
    assert.equal(pushed.free, 22);
    await eventually(() => bboxUpdates.flat().some((l) => l.id === 'hangzhou-rd-7'), 2000, 'bbox update');

    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { free: 100 });
    await eventually(() => bboxUpdates.flat().some((l) => l.id === 'nanfeng-rd'), 2000, 'nanfeng-rd update');
    assert.ok(!idUpdates.flat().some((l) => l.id === 'nanfeng-rd'), 'the ids subscription only gets its own lots');
    assert.equal(farUpdates.length, 0, 'a subscription elsewhere gets nothing');
  });

  it('coalesces a burst into few pushes carrying the newest count', async () => {
    const s = await socket();
    await subscribe(s, { ids: ['cruise-port'] });
    const updates = collectUpdates(s);
    const base = Date.now() - 10_000;
    await Promise.all(Array.from({ length: 30 }, (_, i) => publish(mqtt, 'parking/lots/cruise-port/count', { occupied: i + 1, ts: base + i + 1 })));
    await eventually(() => updates.flat().some((l) => l.occupied === 30), 2000, 'the last count');
    assert.ok(updates.length < 30, `expected coalesced pushes, got ${updates.length}`);
  });

  it('rejects a malformed payload with a reason, changes nothing, and keeps running', async () => {
    const before = await lot('hangzhou-rd-7');
    await publish(mqtt, 'parking/lots/hangzhou-rd-7/count', 'this is not json');
    await publish(mqtt, 'parking/lots/hangzhou-rd-7/count', { occupied: 'ten' });
    await publish(mqtt, 'parking/lots/no-such-lot/count', { occupied: 1 });
    assert.deepEqual(await lot('hangzhou-rd-7'), before);
    const metrics = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
    assert.match(metrics, /kongwei_events_rejected_total\{reason="malformed_payload"\} 1$/m);
    assert.match(metrics, /kongwei_events_rejected_total\{reason="invalid_payload"\} 1$/m);
    assert.match(metrics, /kongwei_events_rejected_total\{reason="unknown_lot"\} 1$/m);
    assert.equal((await getJson(t.app.httpUrl, '/healthz')).status, 200);
  });

  it('pushes only the live fields of a count to a `fields: "live"` subscription', async () => {
    const s = await socket();
    const snapshot = await subscribe(s, { ids: ['anshan-5th-rd'], fields: 'live' });
    assert.ok('lots' in snapshot && snapshot.lots[0]!.name === '鞍山五路街角停车位', 'the snapshot has whole lots');
    const live: Record<string, unknown>[] = [];
    s.on('lots:live', (lots) => live.push(...lots));
    const whole = collectUpdates(s);
    await publish(mqtt, 'parking/lots/anshan-5th-rd/count', { occupied: 4 });
    const pushed = await eventually(() => live.find((l) => l.occupied === 4), 2000, 'lots:live');
    assert.deepEqual(Object.keys(pushed).sort(), [
      'availability', 'capacity', 'clamped', 'free', 'freeCharging', 'freeDisabled', 'freeFamily', 'freeWomen', 'heardAt', 'id', 'occupied', 'stale', 'updatedAt',
    ]);
    assert.deepEqual([pushed.id, pushed.free], ['anshan-5th-rd', 20]);
    assert.equal(whole.length, 0, 'no whole lots for a live change');
  });

  it('pushes the live fields of a count as rows to a `fields: "rows"` subscription, the same as `lots:live` carries', async () => {
    const rows = await socket();
    const live = await socket();
    await subscribe(rows, { ids: ['anshan-5th-rd'], fields: 'rows' });
    await subscribe(live, { ids: ['anshan-5th-rd'], fields: 'live' });
    const pushedRows: LiveRows[] = [];
    const pushedLive: LotLive[] = [];
    rows.on('lots:rows', (push) => pushedRows.push(push));
    live.on('lots:live', (lots) => pushedLive.push(...lots));
    const whole = collectUpdates(rows);
    await publish(mqtt, 'parking/lots/anshan-5th-rd/count', { occupied: 7 });
    const push = await eventually(() => pushedRows.find((p) => p.rows.some((r) => r[3] === 7)), 2000, 'lots:rows');
    const [row] = push.rows;
    assert.deepEqual([row![0], row![1], row![2], row![3], row![4], row![5], row![8]], ['anshan-5th-rd', 24, 17, 7, 'available', false, false]);
    assert.equal(push.at + row![7]!, Date.parse((await lot('anshan-5th-rd')).heardAt!), 'heardAt is ms from the push base');
    const asLive = await eventually(() => pushedLive.find((l) => l.occupied === 7), 2000, 'lots:live');
    assert.deepEqual(fromLiveRows(push), [asLive]);
    assert.equal(whole.length, 0, 'no whole lots for a live change');
  });

  it('answers an invalid socket subscription with an error', async () => {
    const s = await socket();
    const answer = await subscribe(s, { bbox: [1, 2, 3] } as never);
    assert.ok('error' in answer && answer.error.code === 'validation_failed', JSON.stringify(answer));
  });

  it('answers unknown lots and routes with JSON errors', async () => {
    const missing = await getJson<{ error: { code: string } }>(t.app.httpUrl, '/api/lots/no-such-lot');
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'not_found']);
    const route = await getJson<{ error: { code: string } }>(t.app.httpUrl, '/api/nothing-here');
    assert.deepEqual([route.status, route.body.error.code], [404, 'not_found']);
    const bad = await getJson<{ error: { code: string; message: string } }>(t.app.httpUrl, '/api/lots?near=north');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /near/);
  });

  it('reports each dependency on /healthz', async () => {
    const { status, body } = await getJson<{ status: string; dependencies: Record<string, { ok: boolean; kind: string }> }>(t.app.httpUrl, '/healthz');
    assert.equal(status, 200);
    assert.deepEqual(Object.fromEntries(Object.entries(body.dependencies).map(([k, v]) => [k, v.kind])), { database: 'sqlite', live: 'memory', mqtt: 'embedded' });
  });

  it('serves the map page, its script, Leaflet and uPlot itself (no CDN)', async () => {
    const html = await (await fetch(t.app.httpUrl)).text();
    assert.match(html, /<div id="map"/);
    assert.doesNotMatch(html, /https?:\/\/(?!tile\.openstreetmap\.org)[a-z0-9.-]+\//i, 'no external asset URLs');
    for (const path of ['/app.js', '/vendor/leaflet/leaflet.css', '/vendor/leaflet/images/marker-icon.png', '/static/app.css', '/vendor/uplot/uPlot.min.css', '/static/charts.css']) {
      assert.equal((await fetch(`${t.app.httpUrl}${path}`)).status, 200, path);
    }
  });
});

describe('end to end: start-up errors', () => {
  it('says which variable to set when the MQTT port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await assert.rejects(startApp({ MQTT_PORT: String(port) }), (err: Error) =>
        err.message.includes(`MQTT_PORT ${port} is already in use`) && err.message.includes('MQTT_URL'),
      );
    } finally {
      blocker.close();
    }
  });

  it('keeps the catalog across restarts without seeding twice', async () => {
    const first = await startApp();
    await first.app.stop();
    const second = await startApp({}, { dataDir: first.dataDir });
    try {
      assert.equal(second.app.catalog.size, 9);
    } finally {
      await second.stop();
      await first.stop().catch(() => {});
    }
  });
});
