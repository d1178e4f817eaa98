// Bays by kind through the operator API and the bulk import (DESIGN.md §4,
// "Bays by kind"): declared as ids and ranges, checked (a 400 naming the
// field, in both languages, storing nothing), imported from CSV and exported
// back; their sensors then give the lot's live free count per kind, in the
// read API, its search filter and the retained availability for signs.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';

describe('http: bays by kind, and their live free counts', function () {
  this.timeout(30_000);
  let t: TestApp;
  let base: string;
  let token: string;
  let mqtt: MqttClient;
  const now = Date.parse('2026-11-25T02:00:00Z');
  let tick = 0;
  const bay = (lot: string, space: string, occupied: boolean) => publish(mqtt, `parking/lots/${lot}/spaces/${space}`, { occupied, ts: now + ++tick * 1000 });
  const countFor = (lot: string, occupied: number) => publish(mqtt, `parking/lots/${lot}/count`, { occupied, ts: now + ++tick * 1000 });
  const lot = async (id: string) => (await getJson<Record<string, unknown>>(base, `/api/lots/${id}`)).body;

  before(async () => {
    t = await startApp({ ADMIN_TOKEN, SEED_LOTS: 'off', WRITE_RATE_LIMIT: '100000' }, { clock: () => now + 60_000 });
    base = t.app.httpUrl;
    ({ token } = await createOperator(base, 'Charging Co'));
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    await mqtt?.endAsync();
    await t?.stop();
  });

  it('declares bays as ids and ranges; free per kind only once every declared bay reported', async () => {
    const made = await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'kinds-a', capacity: 40, baysCharging: 'c01..c03', baysDisabled: 'D1', capacityDisabled: 2 }) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.baysCharging, made.body.baysDisabled, made.body.capacityCharging, made.body.capacityDisabled], ['c01..c03', 'd1', 3, 2]);
    await bay('kinds-a', 'c01', true);
    await bay('kinds-a', 'c02', false);
    await bay('kinds-a', 'd1', false);
    let view = await lot('kinds-a');
    assert.deepEqual([view.freeCharging, view.freeDisabled], [null, null], 'c03 never reported; fewer disabled bays declared than capacityDisabled');
    await bay('kinds-a', 'c03', false);
    view = await eventually(async () => {
      const v = await lot('kinds-a');
      return v.freeCharging === 2 && v;
    });
    // Four bays heard from in a lot of 40, and nothing else counts it: its total is not known (not 39 free).
    assert.deepEqual([view.free, view.occupied, view.freeDisabled, view.freeFamily, view.freeWomen], [null, null, null, null, null]);
    // A bay of no kind moves the lot's tally of bays, not the kind's.
    await bay('kinds-a', 'x9', true);
    view = await lot('kinds-a');
    assert.deepEqual([view.freeCharging, view.free], [2, null]);
    // A count for the whole lot makes its total; the kinds' counts stay the bays'.
    await countFor('kinds-a', 30);
    view = await eventually(async () => {
      const v = await lot('kinds-a');
      return v.occupied === 30 && v;
    });
    assert.deepEqual([view.free, view.freeCharging], [10, 2]);
    // The search's EV filter still asks for EV spaces (the declared bays count as them); the answer carries the live count.
    const found = await getJson<{ lots: Record<string, unknown>[] }>(base, '/api/lots?features=ev');
    assert.deepEqual(found.body.lots.map((l) => [l.id, l.freeCharging]), [['kinds-a', 2]]);
  });

  it('re-counts at once when the operator declares other bays, and says nothing until they all reported', async () => {
    const patched = await api(base, 'PATCH', '/api/lots/kinds-a', { token, body: { baysCharging: 'c01..c02, x9' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.freeCharging, 1, 'c01 and x9 taken, c02 free: counted from the bays\' states in the same step');
    const again = await api(base, 'PATCH', '/api/lots/kinds-a', { token, body: { baysCharging: 'c01..c02, x9, c99' } });
    assert.equal(again.body.freeCharging, null, 'c99 has not reported');
  });

  it('refuses a bad list, a bay twice, or more bays than the kind\'s capacity: 400 naming the field, in both languages, nothing stored', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ baysCharging: 'c01, c#2' }, 'baysCharging', /"c#2" is not a bay id/],
      [{ baysCharging: 'c01-c03..c04' }, 'baysCharging', /range's ends must differ only in their last number/],
      [{ baysCharging: 'c01..c02', baysWomen: 'c02' }, 'baysWomen', /"c02" is already in baysCharging/],
      [{ baysCharging: 'c01..c05', capacityCharging: 4 }, 'baysCharging', /declares 5 bays, more than capacityCharging \(4\)/],
    ];
    for (const [body, field, message] of cases) {
      const refused = await api(base, 'PATCH', '/api/lots/kinds-a', { token, body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(refused.body.error.details.fields), [field], JSON.stringify(refused.body));
      assert.match(refused.body.error.details.fields[field][0], message);
    }
    const res = await fetch(new URL('/api/lots/kinds-a', base), {
      method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'zh' },
      body: JSON.stringify({ baysCharging: 'c01..c05', capacityCharging: 4 }),
    });
    assert.match(((await res.json()) as { error: { details: { fields: Record<string, string[]> } } }).error.details.fields.baysCharging![0]!, /列出了 5 个车位，多于 capacityCharging（4）/);
    assert.equal(t.app.catalog.get('kinds-a')!.baysCharging, 'c01..c02, x9, c99', 'nothing stored');
  });

  it('imports bays by kind from CSV (500 bays in one cell), idempotently, and exports them back', async () => {
    const csv = 'id,name,lat,lon,type,status,capacity,baysCharging,baysFamily\n'
      + 'kinds-big,大停车场,36.09,120.37,underground,open,500,"p1-001..p1-040, p2-001","f1..f3"\n';
    const send = (body: string, query = '') => fetch(new URL(`/api/lots/import${query}`, base), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body });
    const first = await send(csv);
    assert.equal(first.status, 200);
    assert.deepEqual(((await first.json()) as { created: number }).created, 1);
    const again = (await (await send(csv)).json()) as { created: number; updated: number; unchanged: number };
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 1], 'a second import changes nothing');
    const stored = t.app.catalog.get('kinds-big')!;
    assert.deepEqual([stored.baysCharging, stored.baysFamily], ['p1-001..p1-040, p2-001', 'f1..f3']);
    assert.equal((await lot('kinds-big')).capacityCharging, 41);
    const bad = await send('id,name,lat,lon,type,status,capacity,baysCharging\nkinds-bad,坏,36.09,120.37,surface,open,2,"a1..a3"\n');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /line 2\.baysCharging/);
  });

  it('tells roadside signs the free counts of the kinds a lot declares (retained availability)', async () => {
    const sign = await connectMqtt(t.app.mqtt.url);
    try {
      const received: Record<string, unknown>[] = [];
      sign.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())));
      await bay('kinds-a', 'c99', false);
      await sign.subscribeAsync('parking/lots/kinds-a/availability', { qos: 1 });
      const message = await eventually(() => received.find((m) => m.freeCharging === 2), 5000, 'the availability with freeCharging');
      assert.equal(message.freeDisabled, null, 'declared, not known live');
      assert.equal('freeFamily' in message, false, 'a kind with no declared bays is left out');
    } finally {
      await sign.endAsync();
    }
  });
});
