// HTTP ingest (DESIGN.md §3) as a barrier vendor's system meets it: the MQTT
// contract's exactly-once checks (test/e2e/mqtt-contract.test.ts) over HTTP,
// once with the in-process store and once with Redis, plus what HTTP adds —
// Basic auth, the gateway's topic rule, batches, the answer only after the
// commit (a client that gave up resends, and nothing is counted twice), and
// the rate limit. The store's outage is in http-ingest-outage.test.ts.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import type { NewGatewayAnswer } from '../../server/domain/operator-api.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { connectSocket, collectUpdates, eventually, getJson, startApp, subscribe, type TestApp, type TestSocket } from '../helpers/app.ts';
import { ingestPost, newGateway, type Answer } from '../helpers/ingest.ts';
import { cleanRedisPrefix, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

const outcomes = (answer: Answer) => answer.body.results.map((r) => ('outcome' in r ? r.outcome : r.error.reason));

const redisPrefix = uniqueName('kwtest:');
const modes = [
  { name: 'in-process store', require: async () => {}, env: {} as Record<string, string>, cleanup: async () => {} },
  {
    name: 'Redis',
    require: (ctx: Mocha.Context) => requireService(ctx, 'redis'),
    env: { REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: `${redisPrefix}:` },
    cleanup: () => cleanRedisPrefix(redisPrefix),
  },
];

for (const mode of modes) {
  describe(`end to end: HTTP ingest (${mode.name})`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let base: string;
    let gw: NewGatewayAnswer;
    let offsetMs = 0;
    const sockets: TestSocket[] = [];
    const now = () => Date.now() + offsetMs;
    const lot = async (id: string) => (await getJson<LotView>(base, `/api/lots/${id}`)).body;
    const post = (path: string, body: unknown, options: Parameters<typeof ingestPost>[4] = {}) => ingestPost(base, path, body, gw, options);

    before(async function () {
      await mode.require(this);
      t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', HTTP_INGEST_RATE_LIMIT: '100000', ...mode.env }, { clock: now });
      base = t.app.httpUrl;
      gw = await newGateway(base, ['liaocheng-rd', 'zhushuishan-rd-14', 'cruise-port', 'anshan-5th-rd', 'siji-dormitory']);
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      await t?.stop();
      await mode.cleanup();
    });

    it("shows the HTTP endpoint in the gateway's connection details, and its paths take messages", async () => {
      assert.equal(gw.http.url, `${base}/api/ingest`);
      assert.deepEqual([gw.http.username, gw.http.password], [gw.id, gw.secret]);
      assert.ok(gw.http.paths.includes('/api/ingest/lots/liaocheng-rd/count'));
      assert.ok(gw.http.paths.includes('/api/ingest/lots/liaocheng-rd/spaces/{space}'));
      assert.ok(gw.http.paths.includes(`/api/ingest/gateways/${gw.id}/status`));
      const answer = await post('/api/ingest/lots/liaocheng-rd/count', { occupied: 10, ts: now() - 10_000, seq: 1 });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { results: [{ outcome: 'applied' }] });
      // Answered after the commit: the very next read sees it.
      assert.equal((await lot('liaocheng-rd')).occupied, 10);
    });

    it('counts each gate event once by its seq, and ignores one older than the last count', async () => {
      const entry = { event: 'entry', count: 2, gate: 'north', ts: now() - 5000, seq: 1 };
      const first = await post('/api/ingest/lots/liaocheng-rd/gate', entry);
      const resent = await post('/api/ingest/lots/liaocheng-rd/gate', entry);
      const batch = await post('/api/ingest/lots/liaocheng-rd/gate', [
        { event: 'exit', gate: 'north', ts: now() - 4000, seq: 2 },
        { event: 'entry', gate: 'south', ts: now() - 20_000, seq: 1 },
        entry,
      ]);
      assert.deepEqual([outcomes(first), outcomes(resent), outcomes(batch)], [['applied'], ['duplicate'], ['applied', 'superseded', 'duplicate']]);
      assert.equal((await lot('liaocheng-rd')).occupied, 11, 'occupied = 10 + 2 − 1');
    });

    it('keeps the newest count: an older one and a duplicate change nothing', async () => {
      const ts = now() - 1000;
      const answer = await post('/api/ingest/lots/zhushuishan-rd-14/count', [
        { occupied: 40, ts, seq: 7 },
        { occupied: 12, ts: ts - 5000, seq: 8 },
        { occupied: 41, ts, seq: 7 },
      ]);
      assert.deepEqual(outcomes(answer), ['applied', 'out_of_order', 'duplicate']);
      assert.equal((await lot('zhushuishan-rd-14')).occupied, 40);
    });

    it('applies the good messages of a batch and names the bad ones, each in its place', async () => {
      const before = await lot('siji-dormitory');
      const answer = await post('/api/ingest/lots/siji-dormitory/count', [
        { occupied: 50, ts: now() - 3000, seq: 1 },
        { occupied: 'lots' },
        { occupied: 1, ts: now() + 3_600_000 },
        { free: 140, ts: now() - 2000, seq: 2 },
      ]);
      assert.equal(answer.status, 200);
      const [good, bad, future, last] = answer.body.results;
      assert.deepEqual([good, last], [{ outcome: 'applied' }, { outcome: 'applied' }]);
      assert.ok(bad && 'error' in bad && bad.error.reason === 'invalid_payload' && /occupied/.test(bad.error.message), JSON.stringify(bad));
      assert.ok(future && 'error' in future && future.error.reason === 'future_timestamp', JSON.stringify(future));
      assert.equal(before.occupied, null);
      assert.equal((await lot('siji-dormitory')).occupied, 60, 'the last good count: 200 − 140 free');
      // The rules are the MQTT contract's: malformed JSON, an unknown lot and a bad bay id are refused the same way.
      const malformed = await post('/api/ingest/lots/siji-dormitory/count', 'not json', { contentType: 'application/json' });
      assert.deepEqual(malformed.body, { results: [{ error: { reason: 'malformed_payload', message: 'payload is not valid JSON' } }] });
    });

    it("takes a lot's occupancy from bay sensors that cover it, and keeps it fresh with heartbeats (an empty body too)", async () => {
      for (const [space, occupied] of [['b-1', true], ['b-2', true], ['b-3', true]] as const) {
        assert.deepEqual(outcomes(await post(`/api/ingest/lots/anshan-5th-rd/spaces/${space}`, { occupied, ts: now() - 3000 })), ['applied']);
      }
      assert.deepEqual(outcomes(await post('/api/ingest/lots/anshan-5th-rd/spaces/b-2', [{ occupied: false, ts: now() - 2000, seq: 1 }, { occupied: false, ts: now() - 2000, seq: 1 }])), ['applied', 'duplicate']);
      // The count says the lot has 3 spaces: its three bays cover it, and they make its total.
      assert.deepEqual(outcomes(await post('/api/ingest/lots/anshan-5th-rd/count', { occupied: 20, capacity: 3, ts: now() - 1000 })), ['applied']);
      assert.deepEqual([(await lot('anshan-5th-rd')).occupied], [2]);
      offsetMs += 890_000;
      assert.deepEqual(outcomes(await post('/api/ingest/lots/anshan-5th-rd/heartbeat', undefined)), ['applied']);
      offsetMs += 20_000;
      const view = await lot('anshan-5th-rd');
      assert.deepEqual([view.stale, view.occupied], [false, 2], 'the heartbeat 20 s ago keeps it fresh');
    });

    it("turns the gateway's lots stale with its status offline (the bare word, as text), and back with online", async () => {
      const socket = await connectSocket(base);
      sockets.push(socket);
      await subscribe(socket, { ids: ['liaocheng-rd'] });
      const updates = collectUpdates(socket);
      assert.deepEqual(outcomes(await post('/api/ingest/lots/liaocheng-rd/count', { occupied: 12, ts: now(), seq: 3 })), ['applied']);
      assert.deepEqual(outcomes(await post(`/api/ingest/gateways/${gw.id}/status`, 'offline')), ['applied']);
      assert.equal((await lot('liaocheng-rd')).stale, true);
      await eventually(() => updates.flat().find((l) => l.id === 'liaocheng-rd' && l.stale), 5000, 'the lot pushed stale to the map');
      assert.deepEqual(outcomes(await post(`/api/ingest/gateways/${gw.id}/status`, [{ state: 'online' }])), ['applied']);
      assert.equal((await lot('liaocheng-rd')).stale, false);
    });

    it('counts exactly when a client gives up before the answer and sends the batch again', async () => {
      const t0 = now() - 60_000;
      assert.deepEqual(outcomes(await post('/api/ingest/lots/cruise-port/count', { occupied: 0, capacity: 100_000, ts: t0, seq: 1 })), ['applied']);
      const batch = Array.from({ length: 1000 }, (_, i) => ({ event: i % 5 === 4 ? 'exit' : 'entry', gate: i % 2 ? 'north' : 'south', ts: t0 + i + 1, seq: i + 1 }));
      const expected = 1000 - 2 * 200;
      // Hold the live store in the middle of the batch, so the answer cannot have come when the client gives up.
      const store = t.app.store;
      const applyGate = store.applyGate.bind(store);
      let calls = 0;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let reachedMiddle!: () => void;
      const middle = new Promise<void>((resolve) => (reachedMiddle = resolve));
      store.applyGate = async (...args) => {
        if (++calls === 500) {
          reachedMiddle();
          await released;
        }
        return applyGate(...args);
      };
      try {
        const client = new AbortController();
        const first = post('/api/ingest/lots/cruise-port/gate', batch, { signal: client.signal });
        await middle;
        client.abort(); // the client's timeout: it never saw an answer
        await assert.rejects(first, { name: 'AbortError' });
        release();
        const again = await post('/api/ingest/lots/cruise-port/gate', batch);
        assert.equal(again.status, 200);
        const counted = outcomes(again);
        assert.equal(counted.length, 1000);
        assert.ok(counted.slice(0, 499).every((o) => o === 'duplicate'), 'what the first request committed is a duplicate now');
        assert.ok(counted.every((o) => o === 'duplicate' || o === 'applied'), counted.join());
      } finally {
        release();
        store.applyGate = applyGate;
      }
      assert.equal((await lot('cruise-port')).occupied, expected, '600 entries − 200 exits, each once');
    });

    it('refuses another lot or status → 403, a missing or wrong credential → 401, a bad id → 400; applies nothing', async () => {
      const before = await lot('nanfeng-rd');
      const other = await post('/api/ingest/lots/nanfeng-rd/count', { occupied: 1 });
      assert.equal(other.status, 403);
      assert.match(JSON.stringify(other.body), /not assigned to gateway/);
      const someoneElses = await post('/api/ingest/gateways/gw-someone-else/status', 'offline');
      assert.equal(someoneElses.status, 403);
      const none = await ingestPost(base, '/api/ingest/lots/liaocheng-rd/count', { occupied: 1 }, undefined);
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
      const wrong = await ingestPost(base, '/api/ingest/lots/liaocheng-rd/count', { occupied: 1 }, { id: gw.id, secret: 'kwg_wrong' });
      assert.equal(wrong.status, 401);
      assert.equal((await ingestPost(base, '/api/ingest/lots/liaocheng-rd/count', { occupied: 1 }, { id: 'gw-nobody', secret: gw.secret })).status, 401);
      const badId = await post('/api/ingest/lots/Liaocheng%20Rd/count', { occupied: 1 });
      assert.deepEqual([badId.status, Object.keys((badId.body as unknown as { error: { details: { fields: object } } }).error.details.fields)], [400, ['lot']]);
      assert.equal((await post('/api/ingest/lots/liaocheng-rd/availability', { occupied: 1 })).status, 404);
      assert.deepEqual(await lot('nanfeng-rd'), before);
      assert.equal((await lot('liaocheng-rd')).occupied, 12);
    });

    it('refuses a batch of more than 1000 messages → 413 naming the limit, and an empty one → 400; applies nothing', async () => {
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ event: 'entry', gate: 'east', seq: i + 1 }));
      const answer = await post('/api/ingest/lots/liaocheng-rd/gate', tooMany);
      assert.equal(answer.status, 413);
      const error = (answer.body as unknown as { error: { code: string; message: string; details: object } }).error;
      assert.equal(error.code, 'payload_too_large');
      assert.match(error.message, /at most 1000 messages/);
      assert.deepEqual(error.details, { maxBatch: 1000, count: 1001 });
      const zh = await post('/api/ingest/lots/liaocheng-rd/gate', tooMany, { acceptLanguage: 'zh-CN,zh;q=0.9' });
      assert.match((zh.body as unknown as { error: { message: string } }).error.message, /一批最多 1000 条消息/);
      assert.equal((await post('/api/ingest/lots/liaocheng-rd/gate', [])).status, 400);
      assert.equal((await lot('liaocheng-rd')).occupied, 12);
    });
  });
}

describe('HTTP ingest: the rate limit per gateway', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', HTTP_INGEST_RATE_LIMIT: '3' });
  });
  after(async () => t?.stop());

  it('refuses requests beyond HTTP_INGEST_RATE_LIMIT a minute → 429 with retryAfterS, for that gateway only', async () => {
    const base = t.app.httpUrl;
    const busy = await newGateway(base, ['nanfeng-rd']);
    const quiet = await newGateway(base, ['liaocheng-rd']);
    const statuses: number[] = [];
    for (let seq = 1; seq <= 4; seq++) statuses.push((await ingestPost(base, '/api/ingest/lots/nanfeng-rd/count', { occupied: seq, seq }, busy)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const refused = await ingestPost<{ error: { code: string; details: { retryAfterS: number } } }>(base, '/api/ingest/lots/nanfeng-rd/count', { occupied: 9, seq: 9 }, busy);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.ok(refused.body.error.details.retryAfterS >= 1);
    assert.equal((await getJson<LotView>(base, '/api/lots/nanfeng-rd')).body.occupied, 3, 'nothing refused was applied');
    assert.equal((await ingestPost(base, '/api/ingest/lots/liaocheng-rd/count', { occupied: 1 }, quiet)).status, 200, 'another gateway is not limited');
  });
});
