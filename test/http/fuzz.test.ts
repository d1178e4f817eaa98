// Fuzzing the HTTP API: thousands of generated bodies, query strings and path
// parameters against the lots, operators, gateways and webhooks routes —
// prototype keys, deep nesting, huge strings, wrong types, text that is not
// text, JSON that is not JSON. The service never answers 500, never logs an
// error, keeps running, and stores nothing from a request it refused (SQL
// and the catalog compared before and after each one). Every property runs
// FUZZ_RUNS cases. Imports: fuzz-files; HTTP ingest: fuzz-ingest; the other
// reads' query strings: fuzz-reads.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { webhookEvents } from '../../server/domain/webhooks.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import {
  checkAnswer, fuzz, FUZZ_RUNS, idParam, nastyString, PROTO_KEYS, queryString, rawBody, rowCounts, send, startFuzzService, value, withProtoKey,
  type FuzzService,
} from '../helpers/fuzz.ts';

const writeRoute = fc.oneof(
  fc.constant({ method: 'POST', path: '/api/lots' }),
  idParam.map((id) => ({ method: 'PATCH', path: `/api/lots/${id}` })),
  fc.constant({ method: 'PATCH', path: '/api/lots/fuzz-owned' }),
  fc.constant({ method: 'POST', path: '/api/operators' }),
  idParam.map((id) => ({ method: 'POST', path: `/api/lots/${id}/gateways` })),
  idParam.map((id) => ({ method: 'POST', path: `/api/gateways/${id}/lots` })),
);
const searchQuery = queryString(
  ['near', 'radius', 'bbox', 'minFree', 'type', 'features', 'limit', 'q', 'arriveAt'],
  [fc.constantFrom('36.09,120.36', '120.3,36.0,120.4,36.1', '-180,-90,180,90', 'surface,underground', 'ev,disabled', '2026-11-25T12:00:00+08:00', 'nfl', '南丰路', '2026-13-45T99:00Z')],
);
const who = fc.constantFrom('operator', 'other', 'admin', 'none', 'bad');

describe('fuzzing the HTTP API: thousands of generated requests', function () {
  this.timeout(120_000);
  let s: FuzzService;
  let base: string;
  let tokens: Record<string, string | undefined>;
  let receiver: Server;
  let hookUrl: string;
  const webhooks: Record<'own' | 'others' | 'admins', string> = { own: '', others: '', admins: '' };
  let deliveryId = '';
  let cases = 0;

  /** What a refused request must leave as it was: every table a write touches, and the catalog in memory. */
  const state = async () => {
    const counts = await rowCounts(s.t.app.db, ['lots', 'lot_audit', 'operators', 'gateways', 'gateway_lots', 'webhooks', 'webhook_deliveries'], ['select count(*) from operators where disabled_at is not null']);
    return JSON.stringify([counts, [...s.t.app.catalog.all()]]);
  };
  /** The same, and the webhooks as stored. */
  const webhookState = async () => JSON.stringify([await state(), await s.t.app.db('webhooks').select('id', 'url', 'events', 'description', 'enabled', 'secret_sealed', 'updated_at').orderBy('id')]);

  before(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kongwei`;
    s = await startFuzzService({ ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32' });
    base = s.base;
    const [operator, other] = [await createOperator(base, 'Fuzz Operator'), await createOperator(base, 'Other Operator')];
    tokens = { operator: operator.token, other: other.token, admin: ADMIN_TOKEN, none: undefined, bad: 'kwo_not-a-real-token' };
    assert.equal((await api(base, 'POST', '/api/lots', { token: operator.token, body: newLot({ id: 'fuzz-owned' }) })).status, 201);
    for (const [name, token] of [['own', operator.token], ['others', other.token], ['admins', ADMIN_TOKEN]] as const) {
      const made = await api(base, 'POST', '/api/webhooks', { token, body: { url: hookUrl, events: ['lot.full'] } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      webhooks[name] = made.body.id;
    }
    const ping = await api(base, 'POST', `/api/webhooks/${webhooks.own}/test`, { token: operator.token });
    assert.equal(ping.status, 202);
    deliveryId = ping.body.id;
  });
  after(async () => {
    await s?.t.stop();
    receiver?.close();
    console.log(`      (${cases} generated requests)`);
  });
  afterEach(() => {
    assert.deepEqual(s.errorsLogged(), [], 'nothing logged as an error');
  });

  it('answers every write with generated bodies below 500, and stores nothing from a refused one', async () => {
    const ran = await fuzz(fc.record({ route: writeRoute, body: rawBody, who }), async ({ route, body, who }) => {
      const auth = tokens[who];
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
      const before = await state();
      const answer = await send(base, route.method, route.path, headers, body);
      checkAnswer(answer, `${route.method} ${route.path} ${body.slice(0, 120)}`);
      if (answer.status >= 400) assert.equal(await state(), before, `refused ${route.method} ${route.path} ${body.slice(0, 200)} changed something`);
      // A lot the fuzzer did create is removed again, so later cases meet the same catalog.
      if (answer.status === 201 && route.path === '/api/lots') await api(base, 'DELETE', `/api/lots/${(answer.body as { id: string }).id}`, { token: ADMIN_TOKEN });
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('answers generated searches on /api/lots and /api/lots.geojson below 500, with lots or a 400 naming the parameter', async () => {
    const accept = fc.constantFrom('application/json', 'application/geo+json', '*/*', 'text/html;q=0.1, application/geo+json', 'x/y');
    const ran = await fuzz(fc.record({ q: searchQuery, path: fc.constantFrom('/api/lots', '/api/lots.geojson'), accept }), async ({ q, path, accept }) => {
      const answer = await send(base, 'GET', `${path}?${q}`, { accept });
      checkAnswer(answer, `GET ${path}?${q}`);
      if (answer.status === 400) assert.equal((answer.body as { error: { code: string } }).error.code, 'validation_failed');
      else if (answer.status !== 431) assert.equal(answer.status, 200, `GET ${path}?${q.slice(0, 300)} → ${answer.status}`);
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('answers reads and deletions with generated path parameters below 500, and deletes nothing it refused', async () => {
    const route = fc.oneof(
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}` })),
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}/audit` })),
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}/gateways` })),
      idParam.filter((id) => id !== 'fuzz-owned' && id !== 'hangzhou-rd-7').map((id) => ({ method: 'DELETE', path: `/api/lots/${id}` })),
      idParam.map((id) => ({ method: 'DELETE', path: `/api/gateways/${id}` })),
      idParam.map((id) => ({ method: 'DELETE', path: `/api/operators/${id}` })),
      fc.constantFrom({ method: 'GET', path: '/api/me' }, { method: 'GET', path: '/api/me/lots' }, { method: 'GET', path: '/api/operators' }, { method: 'PUT', path: '/api/lots' }, { method: 'GET', path: '/api/__proto__' }),
    );
    const ran = await fuzz(fc.record({ route, who: fc.constantFrom('operator', 'admin', 'none') }), async ({ route: { method, path }, who }) => {
      const auth = tokens[who];
      const before = await state();
      const answer = await send(base, method, path, auth ? { authorization: `Bearer ${auth}` } : {});
      checkAnswer(answer, `${method} ${path}`);
      if (answer.status >= 400 || method === 'GET') assert.equal(await state(), before, `${method} ${path} → ${answer.status} changed something`);
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('answers every webhooks route with generated ids, bodies and queries below 500, and changes nothing it refused', async () => {
    const webhookId = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('own', 'others', 'admins').map((name) => webhooks[name as keyof typeof webhooks]) },
      { weight: 1, arbitrary: fc.stringMatching(/^wh-[a-z0-9]{10}$/) },
      { weight: 1, arbitrary: idParam },
    );
    const url = fc.oneof(
      fc.constantFrom(hookUrl, 'http://127.0.0.1:1/down', 'http://10.0.0.1/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest', 'ftp://127.0.0.1/x', 'http://u:p@127.0.0.1/x', `${hookUrl}#frag`, 'https://hooks.example.invalid/x', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://127.1/', '//127.0.0.1/x', 'http://'),
      nastyString,
    );
    const events = fc.oneof(fc.subarray([...webhookEvents, 'ping', 'lot.*', '__proto__']), value);
    const secret = fc.oneof(fc.constantFrom('s'.repeat(16), 'short', 'with a space in it!!'), nastyString);
    /** A webhook body that is nearly valid: a valid one with fields removed, replaced or added. */
    const hook = fc
      .record({
        drop: fc.oneof(fc.constant([]), fc.subarray(['url', 'events'])),
        replace: fc.oneof(fc.constant({}), fc.record({ url, events, secret, description: nastyString, enabled: fc.oneof(fc.boolean(), value) }, { requiredKeys: [] })),
        add: fc.oneof(fc.constant({}), fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS, 'id', 'ownerId'), fc.string({ maxLength: 8 })), value, { maxKeys: 1 })),
      })
      .map(({ drop, replace, add }) => {
        const fields: Record<string, unknown> = { url: hookUrl, events: ['lot.full', 'lot.stale'] };
        for (const field of drop) delete fields[field];
        return { ...fields, ...replace, ...add };
      });
    const body = fc.oneof({ weight: 4, arbitrary: hook.map((h) => JSON.stringify(h)) }, { weight: 1, arbitrary: hook.chain((h) => withProtoKey(JSON.stringify(h))) }, { weight: 1, arbitrary: rawBody });
    const delivery = fc.oneof({ weight: 3, arbitrary: fc.constant(() => deliveryId) }, { weight: 1, arbitrary: fc.uuid().map((id) => () => id) }, { weight: 1, arbitrary: idParam.map((id) => () => id) });
    const route: fc.Arbitrary<{ method: string; path: string; body?: string }> = fc.oneof(
      body.map((b) => ({ method: 'POST', path: '/api/webhooks', body: b })),
      fc.tuple(webhookId, body).map(([id, b]) => ({ method: 'PATCH', path: `/api/webhooks/${id}`, body: b })),
      webhookId.map((id) => ({ method: 'GET', path: `/api/webhooks/${id}` })),
      fc.constant({ method: 'GET', path: '/api/webhooks' }),
      webhookId.filter((id) => !Object.values(webhooks).includes(id)).map((id) => ({ method: 'DELETE', path: `/api/webhooks/${id}` })),
      webhookId.map((id) => ({ method: 'POST', path: `/api/webhooks/${id}/test` })),
      fc.tuple(webhookId, fc.oneof(fc.constantFrom('', 'limit=1', 'limit=200'), queryString(['limit']))).map(([id, q]) => ({ method: 'GET', path: `/api/webhooks/${id}/deliveries?${q}` })),
      fc.tuple(webhookId, delivery).map(([id, d]) => ({ method: 'POST', path: `/api/webhooks/${id}/deliveries/${d()}/redeliver` })),
    );
    const ran = await fuzz(fc.record({ route, who }), async ({ route, who }) => {
      const auth = tokens[who];
      const headers: Record<string, string> = { ...(route.body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
      const before = await webhookState();
      const answer = await send(base, route.method, route.path, headers, route.body);
      checkAnswer(answer, `${route.method} ${route.path} ${route.body?.slice(0, 120) ?? ''}`);
      if (answer.status >= 400 || route.method === 'GET') assert.equal(await webhookState(), before, `${route.method} ${route.path} → ${answer.status} changed something: ${route.body?.slice(0, 200)}`);
      // What a taken change sets off (the alerts catching up) is done before the next case reads the state.
      if (answer.status < 300 && route.method !== 'GET') await s.t.app.alerts.flush();
      if (answer.status === 201) await api(base, 'DELETE', `/api/webhooks/${(answer.body as { id: string }).id}`, { token: ADMIN_TOKEN });
    });
    cases += ran;
    assert.ok(ran >= FUZZ_RUNS, `only ${ran} cases ran`);
  });

  it('is still up and consistent afterwards', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await api(base, 'GET', '/api/lots/fuzz-owned')).status, 200);
    const lots = await api(base, 'GET', '/api/lots');
    assert.equal(lots.body.lots.length, s.t.app.catalog.size);
    assert.equal((await api(base, 'GET', '/api/webhooks', { token: ADMIN_TOKEN })).body.webhooks.length, 3);
  });
});
