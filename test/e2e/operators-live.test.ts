// What operators' changes do to the live side: a new lot appears on every
// map subscribed to its area, a deleted one disappears, a capacity change
// re-clamps the live count, a closed lot or one outside its opening hours
// shows "closed" — pushed, not only on the next request.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import {
  collectUpdates, connectMqtt, connectSocket, eventually, publish, startApp, subscribe, type TestApp, type TestSocket,
} from '../helpers/app.ts';

const SHIBEI_BBOX = [120.30, 36.06, 120.40, 36.12] as const;
const LAOSHAN_BBOX = [120.45, 36.05, 120.55, 36.15] as const;

describe('operators: live effects', function () {
  this.timeout(30_000);
  let t: TestApp;
  let base: string;
  let token: string;
  let mqtt: MqttClient;
  const sockets: TestSocket[] = [];
  const socket = async () => {
    const s = await connectSocket(base);
    sockets.push(s);
    return s;
  };
  const removals = (s: TestSocket) => {
    const ids: string[] = [];
    s.on('lots:remove', (removed) => ids.push(...removed));
    return ids;
  };

  before(async () => {
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000' });
    base = t.app.httpUrl;
    token = (await createOperator(base, 'Live Ops')).token;
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await mqtt?.endAsync();
    await t?.stop();
  });

  it('pushes a new lot to every map subscribed to its area, and only there', async () => {
    const [here, there] = [await socket(), await socket()];
    await subscribe(here, { bbox: SHIBEI_BBOX });
    await subscribe(there, { bbox: LAOSHAN_BBOX });
    const [hereUpdates, thereUpdates] = [collectUpdates(here), collectUpdates(there)];
    const created = await api<LotView>(base, 'POST', '/api/lots', { token, body: newLot({ id: 'live-new' }) });
    assert.equal(created.status, 201);
    const pushed = await eventually(() => hereUpdates.flat().find((l) => l.id === 'live-new'), 5000, 'the new lot on the map');
    assert.deepEqual([pushed.name, pushed.capacity, pushed.availability], ['测试停车场', 40, 'unknown']);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!thereUpdates.flat().some((l) => l.id === 'live-new'), 'not on a map elsewhere');
    const snapshot = await subscribe(await socket(), { bbox: SHIBEI_BBOX });
    assert.ok('lots' in snapshot && snapshot.lots.some((l) => l.id === 'live-new'), 'and in every later snapshot');
  });

  it('re-clamps the live count when the capacity is lowered under it, and pushes it', async () => {
    await publish(mqtt, 'parking/lots/live-new/count', { occupied: 35 });
    const s = await socket();
    await subscribe(s, { ids: ['live-new'] });
    const updates = collectUpdates(s);
    const changed = await api<LotView>(base, 'PATCH', '/api/lots/live-new', { token, body: { capacity: 30 } });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.capacity, changed.body.occupied, changed.body.free, changed.body.clamped, changed.body.availability], [30, 30, 0, true, 'full']);
    const pushed = await eventually(() => updates.flat().find((l) => l.capacity === 30), 5000, 'the re-clamped count');
    assert.deepEqual([pushed.occupied, pushed.free], [30, 0]);
    await publish(mqtt, 'parking/lots/live-new/count', { free: 12 });
    const after = await api<LotView>(base, 'GET', '/api/lots/live-new');
    assert.deepEqual([after.body.capacity, after.body.occupied, after.body.free], [30, 18, 12], 'later counts use the new capacity');
  });

  it('shows a closed lot as "closed" whatever its count, and pushes the change', async () => {
    const s = await socket();
    await subscribe(s, { ids: ['live-new'] });
    const updates = collectUpdates(s);
    const closed = await api<LotView>(base, 'PATCH', '/api/lots/live-new', { token, body: { status: 'closed' } });
    assert.deepEqual([closed.body.status, closed.body.availability, closed.body.free], ['closed', 'closed', 12]);
    await eventually(() => updates.flat().some((l) => l.status === 'closed' && l.availability === 'closed'), 5000, 'the closed lot');
    await api(base, 'PATCH', '/api/lots/live-new', { token, body: { status: 'open' } });
  });

  it('sends a whole lot to a `fields: "live"` map when its metadata changes, only live fields for a count', async () => {
    const s = await socket();
    await subscribe(s, { ids: ['live-new'], fields: 'live' });
    const whole = collectUpdates(s);
    const live: { id: string; free: number | null }[] = [];
    s.on('lots:live', (lots) => live.push(...lots));
    await api(base, 'PATCH', '/api/lots/live-new', { token, body: { nameEn: 'Renamed Car Park' } });
    const renamed = await eventually(() => whole.flat().find((l) => l.nameEn === 'Renamed Car Park'), 5000, 'the whole lot');
    assert.equal(renamed.name, '测试停车场');
    await publish(mqtt, 'parking/lots/live-new/count', { free: 7 });
    await eventually(() => live.some((l) => l.free === 7), 5000, 'the live fields');
    assert.ok(!whole.flat().some((l) => l.free === 7), 'a count comes as live fields only');
  });

  it('takes a lot moved out of an area off that map (lots:remove)', async () => {
    const s = await socket();
    await subscribe(s, { bbox: SHIBEI_BBOX });
    const removed = removals(s);
    await api(base, 'PATCH', '/api/lots/live-new', { token, body: { lat: 36.10, lon: 120.50 } });
    await eventually(() => removed.includes('live-new'), 5000, 'lots:remove');
    await api(base, 'PATCH', '/api/lots/live-new', { token, body: { lat: 36.095, lon: 120.365 } });
  });

  it('republishes the retained availability when an operator closes a lot, and clears it when the lot is deleted', async () => {
    await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'sign-lot' }) });
    await publish(mqtt, 'parking/lots/sign-lot/count', { free: 9 });
    const sign = await connectMqtt(t.app.mqtt.url);
    try {
      const seen: { payload: string; retain: boolean }[] = [];
      sign.on('message', (_topic, payload, packet) => seen.push({ payload: payload.toString(), retain: packet.retain }));
      await sign.subscribeAsync('parking/lots/sign-lot/availability', { qos: 1 });
      await eventually(() => seen.some((m) => m.payload.includes('"free":9')), 5000, 'the first availability');
      await api(base, 'PATCH', '/api/lots/sign-lot', { token, body: { status: 'closed' } });
      await eventually(() => seen.some((m) => m.payload && JSON.parse(m.payload).availability === 'closed'), 5000, 'closed on the sign');
      assert.equal((await api(base, 'DELETE', '/api/lots/sign-lot', { token })).status, 204);
      await eventually(() => seen.some((m) => m.payload === ''), 5000, 'the retained message cleared');
    } finally {
      await sign.endAsync();
    }
    // A sign that subscribes now gets nothing retained for the deleted lot.
    const late = await connectMqtt(t.app.mqtt.url);
    try {
      const retained: string[] = [];
      late.on('message', (_topic, payload) => retained.push(payload.toString()));
      await late.subscribeAsync('parking/lots/sign-lot/availability', { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(retained, []);
    } finally {
      await late.endAsync();
    }
  });

  it('takes a deleted lot off every map that shows it (lots:remove), and forgets its live state', async () => {
    const [byArea, byId, elsewhere] = [await socket(), await socket(), await socket()];
    await subscribe(byArea, { bbox: SHIBEI_BBOX });
    await subscribe(byId, { ids: ['live-new', 'nanfeng-rd'] });
    await subscribe(elsewhere, { bbox: LAOSHAN_BBOX });
    const [areaRemoved, idRemoved, elsewhereRemoved] = [removals(byArea), removals(byId), removals(elsewhere)];
    assert.equal((await api(base, 'DELETE', '/api/lots/live-new', { token })).status, 204);
    await eventually(() => areaRemoved.includes('live-new') && idRemoved.includes('live-new'), 5000, 'lots:remove on both');
    assert.deepEqual(elsewhereRemoved, []);
    assert.equal((await t.app.store.getMany(['live-new'])).size, 0, 'the live store forgot it');
    // A new lot under the same id starts afresh, with no count of the old one.
    const again = await api<LotView>(base, 'POST', '/api/lots', { token, body: newLot({ id: 'live-new' }) });
    assert.deepEqual([again.status, again.body.free], [201, null]);
  });
});

describe('operators: opening hours', function () {
  this.timeout(30_000);
  let t: TestApp;
  let now = Date.parse('2026-11-28T19:58:00+08:00'); // a Saturday evening in Qingdao
  let token: string;
  let mqtt: MqttClient;
  let s: TestSocket;

  before(async () => {
    t = await startApp({ ADMIN_TOKEN, TIME_ZONE: 'Asia/Shanghai' }, { clock: () => now });
    token = (await createOperator(t.app.httpUrl, 'Hours Ops')).token;
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    s?.disconnect();
    await mqtt?.endAsync();
    await t?.stop();
  });

  it('shows a lot "closed" outside its opening hours, in the lots\' time zone, and pushes the change at closing time', async () => {
    const body = newLot({ id: 'evening-lot', openingHours: 'Mo-Su 08:00-20:00; PH off' });
    assert.equal((await api(t.app.httpUrl, 'POST', '/api/lots', { token, body })).status, 201);
    await publish(mqtt, 'parking/lots/evening-lot/count', { free: 25, ts: now - 1000 });
    const open = await api<LotView>(t.app.httpUrl, 'GET', '/api/lots/evening-lot');
    assert.deepEqual([open.body.availability, open.body.free], ['available', 25]);

    s = await connectSocket(t.app.httpUrl);
    await subscribe(s, { ids: ['evening-lot'] });
    const updates = collectUpdates(s);
    now = Date.parse('2026-11-28T20:01:00+08:00');
    assert.deepEqual(t.app.openingHoursWatch!.check(), ['evening-lot']);
    const pushed = await eventually(() => updates.flat().find((l) => l.id === 'evening-lot'), 5000, 'the closing push');
    assert.deepEqual([pushed.availability, pushed.status, pushed.free], ['closed', 'open', 25]);
    const closed = await api<LotView>(t.app.httpUrl, 'GET', '/api/lots/evening-lot');
    assert.equal(closed.body.availability, 'closed');
  });

  it('opens again in the morning, and is closed on a public holiday (PH off)', async () => {
    now = Date.parse('2026-11-29T08:00:30+08:00');
    await publish(mqtt, 'parking/lots/evening-lot/count', { free: 30, ts: now - 1000 });
    assert.equal((await api<LotView>(t.app.httpUrl, 'GET', '/api/lots/evening-lot')).body.availability, 'available');
    now = Date.parse('2026-10-01T12:00:00+08:00'); // National Day
    assert.equal((await api<LotView>(t.app.httpUrl, 'GET', '/api/lots/evening-lot')).body.availability, 'closed');
  });
});
