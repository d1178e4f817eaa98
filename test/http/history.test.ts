// History end to end (DESIGN.md §4, §7): events over MQTT, the recorder's
// buckets in SQL, GET /api/lots/{id}/history and the dumps, with the
// service's clock given by the test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryPoint } from '../../server/domain/history.ts';
import { connectMqtt, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { assertMatchesApi } from '../helpers/openapi.ts';
import { productionEnvironment, type ProductionEnvironment } from '../helpers/services.ts';

const MIN = 60_000;
/** 10:00 in Shanghai on a Monday. */
const T0 = Date.parse('2026-06-01T02:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

for (const mode of ['embedded', 'production'] as const) describe(`http: history (recorded from live events), ${mode}`, function () {
  this.timeout(60_000);
  let t: TestApp;
  let now = T0;
  let production: ProductionEnvironment | undefined;
  let env: Record<string, string> = {};
  let base = 'parking';
  const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-history-'));
  const send = async (lot: string, kind: 'count' | 'heartbeat', payload: object) => {
    const mqtt = await connectMqtt(t.app.mqtt.url);
    await publish(mqtt, `${base}/lots/${lot}/${kind}`, payload);
    await mqtt.endAsync();
  };
  const history = (lot: string, query: string) => getJson<{ points: HistoryPoint[]; step: string }>(t.app.httpUrl, `/api/lots/${lot}/history?${query}`);
  const range = (from: number, to: number, step = '5m') => `from=${iso(from)}&to=${iso(to)}&step=${step}`;
  /** Waits until the live store applied what was published (the recorder reads its log). */
  const settled = async (lot: string, occupied: number) => {
    for (let i = 0; i < 200; i++) {
      const { body } = await getJson<{ occupied: number | null }>(t.app.httpUrl, `/api/lots/${lot}`);
      if (body.occupied === occupied) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`lot ${lot} never showed ${occupied}`);
  };

  before(async function () {
    if (mode === 'production') {
      production = await productionEnvironment(this);
      ({ env, base } = production);
    }
    t = await startApp({ ...env, ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000' }, { clock: () => now, dataDir });
  });
  after(async () => {
    await t?.stop();
    await production?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fills 5-minute buckets by sensor time, counts a duplicate once, and shows unknown time as null, not 0', async () => {
    await send('nanfeng-rd', 'count', { occupied: 50, ts: iso(T0 - 20 * MIN) });
    await send('nanfeng-rd', 'count', { occupied: 50, ts: iso(T0 - 20 * MIN) }); // a redelivery
    await send('nanfeng-rd', 'count', { occupied: 100, ts: iso(T0 - 10 * MIN) });
    await settled('nanfeng-rd', 100);
    await t.app.historyRecorder.flush();
    const { status, body } = await history('nanfeng-rd', range(T0 - 30 * MIN, T0));
    assert.equal(status, 200);
    assert.deepEqual(body.points.map((p) => [p.occupied, p.knownS]), [
      [null, 0], [null, 0], [50, 300], [50, 300],
      // since the last event: its value, provisional, up to now
      [100, 300], [100, 300],
    ]);
    assert.deepEqual(body.points.map((p) => p.free), [null, null, 100, 100, 50, 50]);
    assert.equal(body.points[0]!.at, iso(T0 - 30 * MIN));
  });

  it('fills the buckets where a buffered backlog happened, not where it arrived', async () => {
    // The gateway was quiet for an hour; now it flushes its buffer with the old times.
    now = T0 + 60 * MIN;
    for (const [minute, occupied] of [[5, 110], [15, 120], [25, 130]] as const) {
      await send('nanfeng-rd', 'count', { occupied, ts: iso(T0 + minute * MIN) });
    }
    await settled('nanfeng-rd', 130);
    await t.app.historyRecorder.flush();
    const { body } = await history('nanfeng-rd', range(T0, T0 + 30 * MIN));
    assert.deepEqual(body.points.map((p) => p.occupied), [100, 110, 110, 120, 120, 130]);
  });

  it('rolls up to longer steps weighted by known time, and answers CSV', async () => {
    const { body } = await history('nanfeng-rd', range(T0 - 60 * MIN, T0 + 60 * MIN, '1h'));
    assert.equal(body.points.length, 2);
    // 09:00–10:00: 50 for 10 min, 100 for 10 min (the rest unknown): mean 75 over 1,200 s.
    assert.deepEqual([body.points[0]!.occupied, body.points[0]!.knownS, body.points[0]!.occupiedMin, body.points[0]!.occupiedMax], [75, 1200, 50, 100]);
    const res = await fetch(new URL(`/api/lots/nanfeng-rd/history?${range(T0 - 60 * MIN, T0 + 60 * MIN, '1h')}`, t.app.httpUrl), { headers: { accept: 'text/csv' } });
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await res.text()).trim().split('\n');
    assert.equal(lines[0], 'lot,at,occupied,occupiedMin,occupiedMax,free,capacity,knownS');
    assert.equal(lines[1], `nanfeng-rd,${iso(T0 - 60 * MIN)},75,50,100,75,150,1200`);
    assert.equal(lines.length, 3);
  });

  it('dumps every lot at once, streamed, filtered like the search', async () => {
    const path = `/api/history?${range(T0 - 30 * MIN, T0, '30m')}&type=surface`;
    const res = await fetch(new URL(path, t.app.httpUrl));
    const body = (await res.json()) as { lots: { lotId: string; points: HistoryPoint[] }[] };
    await assertMatchesApi(t.app.httpUrl, 'GET', path, res, body);
    const ids = body.lots.map((l) => l.lotId);
    assert.deepEqual(ids, [...ids].sort(), 'in lot id order');
    assert.ok(ids.includes('nanfeng-rd'));
    assert.deepEqual(body.lots.find((l) => l.lotId === 'nanfeng-rd')!.points.map((p) => p.occupied), [75]);
    assert.ok(body.lots.filter((l) => l.lotId !== 'nanfeng-rd').every((l) => l.points.every((p) => p.occupied === null)));
    const csv = await (await fetch(new URL(`/api/history.csv?${range(T0 - 30 * MIN, T0, '30m')}`, t.app.httpUrl))).text();
    assert.ok(csv.split('\n').some((line) => line.startsWith(`nanfeng-rd,${iso(T0 - 30 * MIN)},75,`)));
  });

  it('refuses bad parameters with a 400 naming them, and an unknown lot with a 404', async () => {
    const bad = async (query: string, field: string, pattern: RegExp) => {
      const { status, body } = await getJson<{ error: { code: string; details: { fields: Record<string, string[]> } } }>(t.app.httpUrl, `/api/lots/nanfeng-rd/history?${query}`);
      assert.equal(status, 400, query);
      assert.match(body.error.details.fields[field]?.join(' ') ?? '', pattern, query);
    };
    await bad(range(T0, T0 + 8 * 24 * 60 * MIN, '5m'), 'to', /at most 7 days/);
    await bad(range(T0, T0 - MIN), 'to', /after from/);
    await bad(`from=${iso(T0)}&to=${iso(T0 + MIN)}&step=2m`, 'step', /5m/);
    await bad(`from=yesterday&to=${iso(T0)}`, 'from', /./);
    await bad(range(T0 - 100 * 24 * 60 * MIN, T0 - 99 * 24 * 60 * MIN, '5m'), 'from', /kept 90 days/);
    assert.equal((await getJson(t.app.httpUrl, `/api/lots/no-such-lot/history?${range(T0, T0 + MIN)}`)).status, 404);
  });

  it('counts time a lot was closed by its operator as a gap, though its sensors kept counting', async () => {
    const lot = 'liaocheng-rd';
    const patch = (status: string) => fetch(new URL(`/api/lots/${lot}`, t.app.httpUrl), {
      method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ status }),
    });
    const at = (minute: number) => T0 + 60 * MIN + minute * MIN;
    now = at(0);
    await send(lot, 'count', { occupied: 20, ts: iso(at(0)) });
    await settled(lot, 20);
    now = at(5);
    assert.equal((await patch('closed')).status, 200);
    now = at(10);
    await send(lot, 'heartbeat', { ts: iso(at(10)) });
    now = at(15);
    assert.equal((await patch('open')).status, 200);
    await send(lot, 'count', { occupied: 30, ts: iso(at(15)) });
    await settled(lot, 30);
    now = at(20);
    await t.app.historyRecorder.flush();
    const { body } = await history(lot, range(at(0), at(20)));
    assert.deepEqual(body.points.map((p) => [p.occupied, p.knownS]), [[20, 300], [null, 0], [null, 0], [30, 300]]);
  });

  it('keeps history across a restart of the service, and goes on recording after it', async () => {
    await t.stop();
    now = T0 + 90 * MIN;
    t = await startApp({ ...env, ADMIN_TOKEN }, { clock: () => now, dataDir });
    await send('nanfeng-rd', 'count', { occupied: 10, ts: iso(T0 + 85 * MIN) });
    await settled('nanfeng-rd', 10);
    await t.app.historyRecorder.flush();
    const { body } = await history('nanfeng-rd', range(T0 + 25 * MIN, T0 + 90 * MIN));
    // 130 from 10:25 until it went stale (STALE_AFTER_S 900: 10:40), then nothing until the new count at 11:25.
    assert.deepEqual(body.points.map((p) => p.occupied), [130, 130, 130, null, null, null, null, null, null, null, null, null, 10]);
  });

  it('rolls hours up once they are over, and answers from the hourly buckets after the 5-minute ones are gone', async () => {
    const hourly = async () => (await history('nanfeng-rd', range(T0 - 60 * MIN, T0 + 120 * MIN, '1h'))).body.points.map((p) => [p.occupied, p.knownS]);
    const before = await hourly();
    assert.deepEqual(before[0], [75, 1200]);
    now = T0 + 3 * 60 * MIN;
    assert.equal(await t.app.historyMaintenance.tick(), true);
    // 101 days on: the 5-minute buckets are past HISTORY_RETENTION_DAYS (90) and deleted; the hourly ones stay.
    now = T0 + 101 * 24 * 60 * MIN;
    assert.equal(await t.app.historyMaintenance.tick(), true);
    const fine = await getJson<{ error: { details: { fields: Record<string, string[]> } } }>(t.app.httpUrl, `/api/lots/nanfeng-rd/history?${range(T0, T0 + 60 * MIN, '5m')}`);
    assert.equal(fine.status, 400);
    // The hours before the last value (which has held since, until it went stale: 15 minutes of it now).
    const after = await hourly();
    assert.deepEqual(after.slice(0, 2), before.slice(0, 2));
    assert.deepEqual(after[2], [10, 900]);
  });
});
