// Fuzzing: thousands of generated malformed topics and payloads. The service
// never crashes, rejects every one with a reason, and its live state does
// not change — at the ingest stage against both stores, and through the real
// brokers (aedes; Mosquitto and Redis) as a whole service.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Catalog } from '../../server/catalog/catalog.ts';
import { rejectionReasons } from '../../server/domain/events.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { createLogger } from '../../server/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { connectMqtt, eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { seededCatalog } from '../helpers/catalog.ts';
import { clearRetained } from '../helpers/mqtt.ts';
import { cleanRedisPrefix, MQTT_TEST_URL, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';
import { storesUnderTest } from '../live/stores.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
const LOT = 'nanfeng-rd';

interface Fuzzed {
  /** The topic under the base topic. */
  path: string;
  payload: Uint8Array;
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text));
const json = (value: unknown) => utf8(JSON.stringify(value));

/** A level that is not a valid id: empty, upper case, spaces, too long, punctuation. */
const badSegment = fc.oneof(
  fc.constantFrom('', 'Nanfeng', 'bay 1', '-lead', 'a'.repeat(65), 'lot_1', 'ü', '..'),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^[a-z0-9][a-z0-9-]{0,63}$/.test(s) && !/[+#/\0]/.test(s)),
);
/** A valid id that is no lot of the catalog. */
const unknownLot = fc.stringMatching(/^zz[a-z0-9-]{1,10}$/);

const kindPath = (lot: string) => fc.constantFrom(`lots/${lot}/count`, `lots/${lot}/gate`, `lots/${lot}/heartbeat`, `lots/${lot}/spaces/b-1`);

/** Topics the service rejects whatever the payload (within its subscriptions, so any broker delivers them). */
const badTopicPath = fc.oneof(
  badSegment.chain((seg) => fc.constantFrom(`lots/${seg}/count`, `lots/${seg}/gate`, `lots/${seg}/heartbeat`, `lots/${LOT}/spaces/${seg}`, `gateways/${seg}/status`)),
  unknownLot.chain((lot) => kindPath(lot)),
);
/** Topics only the embedded broker hands over (it sees every publish in the contract's namespace). */
const embeddedOnlyTopicPath = fc.oneof(
  fc.constantFrom(`lots/${LOT}`, `lots/${LOT}/counts`, `lots/${LOT}/count/extra`, `lots/${LOT}/spaces`, `gateways/gw-1`, `gateways/gw-1/status/x`, 'lots/'),
  badSegment.map((seg) => `lots/${LOT}/${seg}`),
);

const notJson = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ maxLength: 40 }).map(utf8),
).filter((bytes) => {
  const text = Buffer.from(bytes).toString('utf8');
  if (/^\s*$/.test(text) || text.trim() === 'online' || text.trim() === 'offline') return false;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
});
const jsonNotObject = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })).map(json);
/** Timestamps the service refuses: not a timestamp, or more than 5 minutes ahead of `now`. */
const badTs = (now: number) =>
  fc.oneof(
    fc.constantFrom('yesterday', '2026-11-28', '2026-13-01T00:00:00Z', '', 1.5, -1, 9e15),
    fc.integer({ min: now + 6 * 60_000, max: now + 1e12 }),
  );
const badSeq = fc.constantFrom(-1, 1.5, '7', 2 ** 60, null);

/** Payloads that break the schema of the kind at `path` (or the JSON itself). */
function badPayloadFor(path: string, now: number): fc.Arbitrary<Uint8Array> {
  const futureOrBad = badTs(now);
  const common = [notJson, jsonNotObject];
  if (path.endsWith('/count')) {
    return fc.oneof(...common,
      futureOrBad.map((ts) => json({ occupied: 1, ts })),
      badSeq.map((seq) => json({ free: 1, seq })),
      fc.constantFrom({}, { occupied: 1, free: 2 }, { occupied: '3' }, { occupied: 2e6 }, { free: 1.5 }, { occupied: 1, capacity: -1 }).map(json));
  }
  if (path.endsWith('/gate')) {
    return fc.oneof(...common,
      futureOrBad.map((ts) => json({ event: 'entry', gate: 'n', ts })),
      badSeq.map((seq) => json({ event: 'exit', gate: 'n', seq })),
      fc.constantFrom({ event: 'in', gate: 'n' }, { event: 'entry' }, { event: 'entry', gate: 'North' }, { event: 'entry', gate: 'n', count: 0 }, { event: 'exit', gate: 'n', count: 1001 }).map(json));
  }
  if (path.includes('/spaces/')) {
    return fc.oneof(...common,
      futureOrBad.map((ts) => json({ occupied: true, ts })),
      fc.constantFrom({}, { occupied: 1 }, { occupied: 'yes' }, { occupied: true, seq: -3 }).map(json));
  }
  if (path.endsWith('/status')) return fc.oneof(...common, fc.constantFrom({}, { state: 'asleep' }, { state: true }).map(json));
  return fc.oneof(...common, futureOrBad.map((ts) => json({ ts }))); // heartbeat
}

/** Any message the service must reject; `embedded` adds topics only the embedded broker hands over. */
const fuzzedArb = (embedded: boolean, now: number): fc.Arbitrary<Fuzzed> =>
  fc.oneof(
    fc.record({ path: badTopicPath, payload: fc.oneof(fc.uint8Array({ maxLength: 32 }), fc.constant(json({ occupied: 1 }))) }),
    ...(embedded ? [fc.record({ path: embeddedOnlyTopicPath, payload: fc.uint8Array({ maxLength: 32 }) })] : []),
    fc.oneof(kindPath(LOT), fc.constant('gateways/gw-1/status')).chain((path) => badPayloadFor(path, now).map((payload) => ({ path, payload }))),
  );

describe('fuzzing the ingest stage: thousands of malformed messages', function () {
  this.timeout(180_000);
  let catalog: Catalog;
  let closeCatalog = async () => {};
  const stores: LiveStore[] = [];

  before(async function () {
    for (const target of storesUnderTest) await target.require(this);
    ({ catalog, close: closeCatalog } = await seededCatalog());
  });
  after(async () => {
    for (const store of stores) await store.stop();
    for (const target of storesUnderTest) await target.cleanup();
    await closeCatalog();
  });

  for (const target of storesUnderTest) {
    it(`rejects every one with a reason and changes nothing (${target.name} store)`, async () => {
      const store = await target.create();
      stores.push(store);
      const ids = [...catalog.all()].map((lot) => lot.id);
      await store.applyCount({ lotId: LOT, ts: NOW - 1000, seq: 5, occupied: 10, free: null, capacity: null, receivedAt: NOW }, 150);
      await store.applyGate({ lotId: LOT, gate: 'n', delta: 1, ts: NOW - 500, sensorTs: true, seq: 1, receivedAt: NOW }, 150);
      const before = await store.getMany(ids);
      const metrics = new Metrics();
      const ingest = new Ingest({ baseTopic: 'parking', catalog, store, metrics, log: createLogger('silent'), clock: () => NOW });
      ingest.start();
      let count = 0;
      await fc.assert(
        fc.asyncProperty(fuzzedArb(true, NOW), async ({ path, payload }) => {
          count++;
          const result = await ingest.handle(`parking/${path}`, payload, 'fuzzer');
          assert.equal(result.status, 'rejected', `parking/${path} ${Buffer.from(payload).toString()} → ${JSON.stringify(result)}`);
          assert.ok(rejectionReasons.includes(result.reason) && result.message.length > 0);
        }),
        { numRuns: 3000 },
      );
      assert.deepEqual(await store.getMany(ids), before);
      assert.deepEqual(await store.gatewayLots('fuzzer'), [], 'nothing learned from rejected messages');
      const rejected = (await metrics.registry.getSingleMetric('kongwei_events_rejected_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
      assert.equal(rejected, count);
    });
  }
});

interface ServiceMode {
  name: string;
  require(ctx: Mocha.Context): Promise<void>;
  env(base: string): Record<string, string>;
  cleanup(base: string): Promise<void>;
  embedded: boolean;
}

const redisPrefix = uniqueName('kwtest:');
const serviceModes: ServiceMode[] = [
  { name: 'embedded broker', require: async () => {}, env: () => ({}), cleanup: async () => {}, embedded: true },
  {
    name: 'Mosquitto and Redis',
    require: async (ctx) => {
      await requireService(ctx, 'redis');
      await requireService(ctx, 'mosquitto');
    },
    env: (base) => ({
      REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: `${redisPrefix}:`, MQTT_URL: MQTT_TEST_URL, MQTT_BASE_TOPIC: base,
      MQTT_CLIENT_ID: uniqueName('kongwei-test-'),
    }),
    cleanup: async (base) => {
      await clearRetained(MQTT_TEST_URL, base);
      await cleanRedisPrefix(redisPrefix);
    },
    embedded: false,
  },
];

for (const mode of serviceModes) {
  describe(`fuzzing the running service over MQTT (${mode.name})`, function () {
    this.timeout(120_000);
    let t: TestApp;
    const base = uniqueName('kwtest-');

    before(async function () {
      await mode.require(this);
      t = await startApp({ MQTT_BASE_TOPIC: base, ...mode.env(base) });
    });
    after(async () => {
      await t?.stop();
      await mode.cleanup(base);
    });

    it('keeps running, rejects each of a thousand malformed messages with a reason, and changes no lot', async () => {
      const lots = async () => (await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots')).body.lots;
      const before = await lots();
      const messages = fc.sample(fuzzedArb(mode.embedded, Date.now()), { numRuns: 1000, seed: 42 });
      const client = await connectMqtt(t.app.mqtt.url);
      try {
        for (const { path, payload } of messages) await client.publishAsync(`${base}/${path}`, Buffer.from(payload), { qos: 1 });
      } finally {
        await client.endAsync();
      }
      const rejected = async () => {
        const text = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
        return [...text.matchAll(/^kongwei_events_rejected_total\{reason="\w+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      };
      await eventually(async () => (await rejected()) === messages.length, 20_000, `${messages.length} rejections`);
      assert.equal((await getJson(t.app.httpUrl, '/healthz')).status, 200);
      assert.deepEqual(await lots(), before);
    });
  });
}
