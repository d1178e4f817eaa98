// HTTP ingest while the live store is down (DESIGN.md §3, HTTP ingest): a
// request waits HTTP_INGEST_WAIT_MS, then answers 503 naming what was
// committed; the client sends the whole batch again once the store is back,
// and the count is exact. A private Redis (killed and restarted by this test
// alone) holds the live state; the shared one is never touched.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import type { IngestUnavailableDetails } from '../../server/domain/http-ingest.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { installed, PrivateRedis } from '../helpers/private-services.ts';
import { ingestPost, newGateway } from '../helpers/ingest.ts';

const LOT = 'cruise-port';

describe('HTTP ingest while the live store is down (a private Redis)', function () {
  this.timeout(60_000);
  let redis: PrivateRedis;
  let t: TestApp;
  let gateway: { id: string; secret: string };
  const lot = async () => (await getJson<LotView>(t.app.httpUrl, `/api/lots/${LOT}`)).body;
  const gates = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ event: 'entry', gate: 'north', ts: Date.now() - 60_000 + from + i, seq: from + i }));
  const storeBack = () => eventually(async () => (await getJson<{ dependencies: { live: { ok: boolean } } }>(t.app.httpUrl, '/healthz')).body.dependencies.live.ok, 20_000, 'the live store back');

  before(async function () {
    if (!installed('redis-server')) {
      const reason = 'redis-server not installed (apt-get install -y redis-server)';
      if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason}; CI=true requires it`);
      console.warn(`      ⚠ skipped: ${reason}`);
      this.skip();
    }
    redis = new PrivateRedis();
    await redis.start();
    t = await startApp({ ADMIN_TOKEN, REDIS_URL: redis.url, HTTP_INGEST_WAIT_MS: '1000', WRITE_RATE_LIMIT: '100000' });
    gateway = await newGateway(t.app.httpUrl, [LOT]);
    const calibrate = await ingestPost(t.app.httpUrl, `/api/ingest/lots/${LOT}/count`, { occupied: 0, ts: Date.now() - 120_000, seq: 1 }, gateway);
    assert.equal(calibrate.status, 200);
  });
  after(async () => {
    await t?.stop();
    await redis?.remove();
  });

  it('answers 503 after waiting, with nothing committed, and applies the resent batch once the store is back', async () => {
    await redis.kill('SIGKILL');
    const batch = gates(1, 10);
    const refused = await ingestPost<{ error: { code: string; details: IngestUnavailableDetails } }>(t.app.httpUrl, `/api/ingest/lots/${LOT}/gate`, batch, gateway);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'unavailable');
    assert.deepEqual([refused.body.error.details.committed, refused.body.error.details.results], [0, []]);
    assert.equal(refused.headers.get('retry-after'), '1');
    await redis.start();
    await storeBack();
    assert.equal((await lot()).occupied, 0, 'nothing of the refused batch was committed');
    const again = await ingestPost(t.app.httpUrl, `/api/ingest/lots/${LOT}/gate`, batch, gateway);
    assert.equal(again.status, 200);
    assert.ok(again.body.results.every((r) => 'outcome' in r && r.outcome === 'applied'));
    assert.equal((await lot()).occupied, 10);
  });

  it('names the messages committed before the store went down; the whole batch sent again counts each once', async () => {
    const store = t.app.store;
    const applyGate = store.applyGate.bind(store);
    let calls = 0;
    store.applyGate = async (...args) => {
      // The store goes down under the batch's fifth message.
      if (++calls === 5) await redis.kill('SIGKILL');
      return applyGate(...args);
    };
    const batch = gates(11, 30);
    let refused;
    try {
      refused = await ingestPost<{ error: { details: IngestUnavailableDetails } }>(t.app.httpUrl, `/api/ingest/lots/${LOT}/gate`, batch, gateway);
    } finally {
      store.applyGate = applyGate;
    }
    assert.equal(refused.status, 503);
    const { committed, results } = refused.body.error.details;
    assert.equal(committed, 4);
    assert.deepEqual(results, Array(4).fill({ outcome: 'applied' }));
    await redis.start();
    await storeBack();
    const again = await ingestPost(t.app.httpUrl, `/api/ingest/lots/${LOT}/gate`, batch, gateway);
    assert.equal(again.status, 200);
    const outcomes = again.body.results.map((r) => ('outcome' in r ? r.outcome : r.error.reason));
    assert.deepEqual(outcomes.slice(0, 4), ['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    assert.deepEqual(new Set(outcomes.slice(4)), new Set(['applied']));
    assert.equal((await lot()).occupied, 30, '10 + 20 entries, each once');
  });
});
