// Fuzzing HTTP ingest (/api/ingest/…): generated paths, credentials (a valid
// gateway's, another gateway's, a wrong secret, Authorization headers that
// are not Basic or not base64), bodies (nearly valid payloads of every kind,
// batches, bare words, bytes that are not text) and content types. The
// service never answers 500, never logs an error, and a refused request — or
// one whose every message was rejected — changes no live state.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { checkAnswer, fuzz, FUZZ_RUNS, idParam, nastyNumber, nastyString, PROTO_KEYS, rawBody, send, startFuzzService, value, type FuzzService } from '../helpers/fuzz.ts';
import { newGateway } from '../helpers/ingest.ts';

const LOTS = ['fuzz-owned', 'hangzhou-rd-7'];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('fuzzing HTTP ingest: generated paths, credentials and bodies', function () {
  this.timeout(120_000);
  let s: FuzzService;
  let base: string;
  let own: { id: string; secret: string };
  let other: { id: string; secret: string };
  let ran = 0;
  /** The lots' live state, without the stale mark: the stale watch sets that on its own, by the clock, between two requests. */
  const liveState = async () => JSON.stringify([...(await s.t.app.store.getMany(LOTS))].sort(([a], [b]) => a.localeCompare(b)).map(([id, { staleMarked: _, ...state }]) => [id, state]));

  before(async () => {
    s = await startFuzzService({ ADMIN_TOKEN });
    base = s.base;
    const operator = await createOperator(base, 'Fuzz Ingest Operator');
    assert.equal((await api(base, 'POST', '/api/lots', { token: operator.token, body: newLot({ id: 'fuzz-owned', capacity: 40 }) })).status, 201);
    const made = await api(base, 'POST', '/api/lots/fuzz-owned/gateways', { token: operator.token, body: { name: 'barrier' } });
    assert.equal(made.status, 201);
    own = { id: made.body.id, secret: made.body.secret };
    const another = await newGateway(base, ['hangzhou-rd-7']);
    other = { id: another.id, secret: another.secret };
  });
  after(async () => {
    await s?.t.stop();
    console.log(`      (${ran} generated ingest requests)`);
  });

  it('answers every generated ingest request below 500, and a refused one (or one of rejected messages only) changes no live state', async () => {
    const credential = fc.oneof(
      { weight: 6, arbitrary: fc.constant(() => basic(own.id, own.secret)) },
      { weight: 1, arbitrary: fc.constant(() => basic(other.id, other.secret)) },
      { weight: 1, arbitrary: nastyString.map((secret) => () => basic(own.id, secret)) },
      { weight: 1, arbitrary: fc.tuple(fc.oneof(idParam, nastyString), nastyString).map(([user, secret]) => () => basic(user, secret)) },
      { weight: 1, arbitrary: fc.constantFrom('', 'Basic', 'Basic ', 'Basic !!!', 'Basic Og==', 'Bearer kwo_x', `Basic ${'A'.repeat(20_000)}`, 'basic\tx', 'Digest a=b').map((header) => () => header) },
      { weight: 1, arbitrary: fc.constant(() => basic(own.id, own.secret).replace('Basic ', 'bAsIc   ')) },
    );
    const lot = fc.oneof({ weight: 6, arbitrary: fc.constant('fuzz-owned') }, { weight: 1, arbitrary: fc.constant('hangzhou-rd-7') }, { weight: 1, arbitrary: idParam });
    const space = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), idParam);
    const gatewayId = fc.oneof({ weight: 3, arbitrary: fc.constant(() => own.id) }, { weight: 1, arbitrary: fc.constant(() => other.id) }, { weight: 1, arbitrary: idParam.map((id) => () => id) });
    const paths = {
      count: lot.map((l) => () => `/api/ingest/lots/${l}/count`),
      gate: lot.map((l) => () => `/api/ingest/lots/${l}/gate`),
      heartbeat: lot.map((l) => () => `/api/ingest/lots/${l}/heartbeat`),
      space: fc.tuple(lot, space).map(([l, sp]) => () => `/api/ingest/lots/${l}/spaces/${sp}`),
      status: gatewayId.map((id) => () => `/api/ingest/gateways/${id()}/status`),
      none: fc.oneof(idParam, fc.constantFrom('lots', 'lots/fuzz-owned', 'lots/fuzz-owned/count/x', 'gateways', '__proto__', 'lots/fuzz-owned/spaces', '')).map((rest) => () => `/api/ingest/${rest}`),
    };
    const now = () => s.clock();
    // Within the future skew the service allows (5 min) or past it; the last case below sends later than any of these.
    const ts = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -3_600_000, max: 60_000 }).map((offset) => () => now() + offset) },
      { weight: 3, arbitrary: fc.integer({ min: -3_600_000, max: 400_000 }).map((offset) => () => new Date(now() + offset).toISOString()) },
      { weight: 1, arbitrary: fc.oneof(nastyNumber, nastyString).map((v) => () => v) },
    );
    /** A valid payload of each kind. */
    const valid = {
      count: fc.oneof(fc.integer({ min: 0, max: 60 }).map((n) => ({ occupied: n })), fc.integer({ min: 0, max: 60 }).map((n) => ({ free: n }))),
      gate: fc.record({ event: fc.constantFrom('entry', 'exit'), gate: fc.constantFrom('north', 'g-1'), count: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: ['event', 'gate'] }),
      space: fc.boolean().map((occupied) => ({ occupied })),
      status: fc.constantFrom({ state: 'online' }, { state: 'offline' }),
      heartbeat: fc.constant({}),
    };
    const anyValid = fc.oneof(...Object.values(valid));
    const fields = {
      occupied: fc.oneof(fc.integer({ min: -5, max: 60 }), fc.boolean(), nastyNumber),
      free: fc.oneof(fc.integer({ min: -5, max: 60 }), nastyNumber),
      capacity: fc.oneof(fc.integer({ min: 0, max: 100 }), nastyNumber),
      event: fc.oneof(fc.constantFrom('entry', 'exit'), nastyString),
      count: fc.oneof(fc.integer({ min: 0, max: 1001 }), nastyNumber),
      gate: fc.oneof(fc.constantFrom('north', 'g-1'), nastyString),
      state: fc.oneof(fc.constantFrom('online', 'offline'), nastyString),
      seq: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), nastyNumber),
    };
    /** A payload, nearly valid: a valid one (of the path's kind, mostly), with a time and a seq or not, and fields replaced or added. */
    const payloadOf = (kind: keyof typeof valid | 'none') =>
      fc
        .record({
          base: kind === 'none' ? anyValid : fc.oneof({ weight: 4, arbitrary: valid[kind] as fc.Arbitrary<object> }, { weight: 1, arbitrary: anyValid }),
          at: fc.option(ts, { nil: undefined }),
          seq: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
          replace: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) }),
          extra: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS, 'lotId', 'gatewayId'), value) }),
        })
        .map(({ base: fieldsOf, at, seq, replace, extra }) => () => {
          const json = JSON.stringify({ ...fieldsOf, ...(at ? { ts: at() } : {}), ...(seq === undefined ? {} : { seq }), ...replace });
          return extra ? `{${JSON.stringify(extra[0])}:${JSON.stringify(extra[1]) ?? 'null'}${json === '{}' ? '' : ','}${json.slice(1)}` : json;
        });
    const bodyOf = (kind: keyof typeof paths): fc.Arbitrary<() => string | Uint8Array<ArrayBuffer>> =>
      fc.oneof(
        { weight: 6, arbitrary: payloadOf(kind) },
        { weight: 2, arbitrary: fc.array(fc.oneof(payloadOf(kind), fc.constantFrom('online', 'offline', 'x').map((w) => () => JSON.stringify(w))), { minLength: 0, maxLength: 5 }).map((items) => () => `[${items.map((item) => item()).join(',')}]`) },
        { weight: 1, arbitrary: fc.constantFrom('online', 'offline', 'ONLINE', '', ' ', '[]', '[[]]', 'null', '{}', `[${'{}, '.repeat(1000)}{}]`, '["online"', '\ufeff{"occupied":1}').map((text) => () => text) },
        { weight: 1, arbitrary: rawBody.map((text) => () => text) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => () => new Uint8Array(bytes)) },
      );
    const request = fc
      .oneof({ weight: 3, arbitrary: fc.constantFrom('count', 'gate', 'heartbeat', 'space', 'status') }, { weight: 1, arbitrary: fc.constant('none') })
      .chain((kind) => fc.record({ path: paths[kind as keyof typeof paths], body: bodyOf(kind as keyof typeof paths) }));
    const type = fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/octet-stream', 'text/csv', '', 'application/json; charset=latin1');
    const method = fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE') });

    ran = await fuzz(fc.record({ credential, request, type, method }), async (c) => {
      const [route, auth, payload] = [c.request.path(), c.credential(), c.request.body()];
      const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...(c.type ? { 'content-type': c.type } : {}) };
      const before = await liveState();
      const answer = await send(base, c.method, route, headers, c.method === 'GET' ? undefined : payload);
      const what = `${c.method} ${route} [${auth.slice(0, 40)}] ${String(payload).slice(0, 200)}`;
      checkAnswer(answer, what);
      const results = (answer.body as { results?: ({ error?: unknown } | { outcome: string })[] } | undefined)?.results;
      const allRejected = answer.status === 200 && results !== undefined && results.every((result) => 'error' in result);
      if (answer.status >= 400 || allRejected) assert.equal(await liveState(), before, `${what} → ${answer.status} ${answer.text.slice(0, 200)} changed live state`);
    });
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
    assert.deepEqual(s.errorsLogged(), [], 'nothing logged as an error');
  });

  it('answers a batch with a message nested 40,000 deep → 200, that message rejected in its own result (it was a 500)', async () => {
    const deep = `${'['.repeat(40_000)}${']'.repeat(40_000)}`;
    const answer = await send(base, 'POST', '/api/ingest/lots/fuzz-owned/count', { authorization: basic(own.id, own.secret), 'content-type': 'application/json' }, `[{"occupied":3},${deep}]`);
    assert.equal(answer.status, 200, answer.text.slice(0, 300));
    const [first, second] = (answer.body as { results: { outcome?: string; error?: { reason: string } }[] }).results;
    assert.ok(first?.outcome, JSON.stringify(first));
    assert.equal(second?.error?.reason, 'invalid_payload');
    assert.deepEqual(s.errorsLogged(), []);
  });

  it('is still up, and takes the gateway\'s count afterwards', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const answer = await send(base, 'POST', '/api/ingest/lots/fuzz-owned/count', { authorization: basic(own.id, own.secret), 'content-type': 'application/json' }, JSON.stringify({ occupied: 7, capacity: 40, ts: s.clock() + 5 * 60_000 - 1000 }));
    assert.deepEqual([answer.status, answer.body], [200, { results: [{ outcome: 'applied' }] }], answer.text);
    assert.equal((await api(base, 'GET', '/api/lots/fuzz-owned')).body.occupied, 7);
  });
});
