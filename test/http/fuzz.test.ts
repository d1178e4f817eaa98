// Fuzzing the HTTP API: thousands of generated bodies, query strings and path
// parameters against every route — prototype keys, deep nesting, huge
// strings, wrong types, text that is not text, JSON that is not JSON. The
// service never answers 500, never logs an error, keeps running, and stores
// nothing from a request it refused (SQL and the catalog compared before and
// after each one). Each property is bounded in time as well as in runs.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { captureLogs, LEVELS, type LogLine } from '../helpers/logs.ts';

const RUNS = 1500;
const TIME_LIMIT_MS = 8000;
const LOT_FIELDS = [
  'id', 'name', 'nameEn', 'address', 'lat', 'lon', 'type', 'status', 'capacity', 'staleAfterS', 'openingHours', 'capacityDisabled',
  'capacityCharging', 'capacityFamily', 'capacityWomen', 'fee', 'priceInfo', 'priceInfoEn', 'maxHeightCm',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

/** Strings a careless or hostile client sends: lone surrogates, controls, bidi overrides, invisible ones, huge ones. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\u202egnp.exe', '\u2066x\u2069', '\u200b\u200d', '\u3000 ', '\u0000', 'a\nb', '\u0301', '\ufeff', '', ' ', '💩', 'Cafe\u0301'),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('Mo-Fr 07:00-22:00', 'nonsense hours', '24/7', 'open', 'surface', 'underground', 'closed', 'gw-1', 'hangzhou-rd-7', 'fuzz-owned'),
);
const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 1, 36.09, 120.36, 100_001, 0.5));
const leaf = fc.oneof(nastyString, nastyNumber, fc.boolean(), fc.constant(null));
const key = fc.oneof(fc.constantFrom(...LOT_FIELDS, ...PROTO_KEYS, 'lotId', 'role'), fc.string({ maxLength: 12 }));
/** Any JSON value, with prototype keys and lot fields as keys. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
})).value;
/** A lot body that is nearly valid: a valid one with fields removed, replaced or added. */
const nearlyALot = fc
  .record({
    drop: fc.subarray(LOT_FIELDS),
    replace: fc.dictionary(fc.constantFrom(...LOT_FIELDS), value, { maxKeys: 3 }),
    add: fc.dictionary(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 8 })), value, { maxKeys: 2 }),
  })
  .map(({ drop, replace, add }) => {
    const lot: Record<string, unknown> = newLot({ id: 'fuzz-new' });
    for (const field of drop) delete lot[field];
    return { ...lot, ...replace, ...add };
  });
/** A body as text: JSON of a value, JSON with a prototype key spliced in, deep nesting, or not JSON at all. */
const rawBody = fc.oneof(
  { weight: 4, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 4, arbitrary: nearlyALot.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), value, nearlyALot).map(([k, v, lot]) => `{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'},${JSON.stringify(lot).slice(1)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 40_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"name":', '\ufeff{}', '{"a":1,"a":2}', 'null', '[]', '"text"', '{"__proto__":null}', '{"name":"\\ud800"}') },
);
/** A path parameter: a good id, a taken one, or anything. */
const idParam = fc.oneof(
  fc.constantFrom('fuzz-owned', 'hangzhou-rd-7', 'no-such-lot', '__proto__', 'constructor', 'Bad Id', '%00', '..', 'a'.repeat(70), '%F0%9F%92%A9', '%ED%A0%80', '%E2%80%AE'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const writeRoute = fc.oneof(
  fc.constant({ method: 'POST', path: '/api/lots' }),
  idParam.map((id) => ({ method: 'PATCH', path: `/api/lots/${id}` })),
  fc.constant({ method: 'PATCH', path: '/api/lots/fuzz-owned' }),
  fc.constant({ method: 'POST', path: '/api/operators' }),
  idParam.map((id) => ({ method: 'POST', path: `/api/lots/${id}/gateways` })),
  idParam.map((id) => ({ method: 'POST', path: `/api/gateways/${id}/lots` })),
);
const queryKey = fc.oneof(fc.constantFrom('near', 'radius', 'bbox', 'minFree', 'type', 'features', 'limit', ...PROTO_KEYS, 'near[]', 'bbox[0]'), fc.string({ maxLength: 8 }));
const queryValue = fc.oneof(
  nastyString,
  nastyNumber.map(String),
  fc.array(nastyNumber, { maxLength: 5 }).map((list) => list.join(',')),
  fc.constantFrom('36.09,120.36', '120.3,36.0,120.4,36.1', '-180,-90,180,90', 'surface,underground', 'ev,disabled', 'NaN', 'Infinity', '1e400', ',,,', ' ', '10001', '0', '-5'),
);
/** Percent-encoding that also takes a lone surrogate (as the bytes a careless client would send: ED A0 80). */
const percent = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((ch) => (/[\ud800-\udfff]/.test(ch) ? `%ED%${(0xa0 + ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%80` : encodeURIComponent(ch))).join('');
  }
};
const rawQueryPart = fc.constantFrom('%ED%A0%80', '%FF', '%', '%%', '%E2%80%AE', '&&', '=', '==', '%00');
const query = fc
  .array(fc.oneof({ weight: 5, arbitrary: fc.tuple(queryKey, queryValue).map(([k, v]) => `${percent(k)}=${percent(v)}`) }, { weight: 1, arbitrary: rawQueryPart }), { maxLength: 6 })
  .map((parts) => parts.join('&'));

describe('fuzzing the HTTP API: thousands of generated requests', function () {
  this.timeout(120_000);
  let t: TestApp;
  let base: string;
  let token: string;
  let lines: LogLine[];
  let cases = 0;

  /** What a refused request must leave as it was: every table a write touches, and the catalog in memory. */
  const state = async () => {
    const db = t.app.db;
    const counts = await Promise.all(['lots', 'lot_audit', 'operators', 'gateways', 'gateway_lots'].map(async (table) => (await db(table).count({ n: '*' }))[0]!.n));
    const disabled = (await db('operators').whereNotNull('disabled_at').count({ n: '*' }))[0]!.n;
    return JSON.stringify([counts, disabled, [...t.app.catalog.all()]]);
  };
  /** The answer is an answer: below 500, JSON with an error code when it is an error. */
  const checkAnswer = (status: number, body: unknown, what: string) => {
    assert.ok(status < 500, `${what.slice(0, 300)} → ${status} ${JSON.stringify(body)?.slice(0, 300)}`);
    if (status >= 400 && status !== 431) {
      const error = (body as { error?: { code?: unknown } } | undefined)?.error;
      assert.equal(typeof error?.code, 'string', `${what} → ${status} without an error code: ${JSON.stringify(body)?.slice(0, 200)}`);
    }
  };
  const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  };

  before(async () => {
    const captured = captureLogs('warn');
    lines = captured.lines;
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '1000000000', AUTH_FAILURE_LIMIT: '1000000000' }, { log: captured.log });
    base = t.app.httpUrl;
    ({ token } = await createOperator(base, 'Fuzz Operator'));
    assert.equal((await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'fuzz-owned' }) })).status, 201);
  });
  after(async () => {
    await t?.stop();
    console.log(`      (${cases} generated requests)`);
  });
  afterEach(() => {
    assert.deepEqual(lines.filter((line) => line.level >= LEVELS.error), [], 'nothing logged as an error');
  });

  it('answers every write with generated bodies below 500, and stores nothing from a refused one', async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(writeRoute, rawBody, fc.constantFrom('operator', 'admin', 'none', 'bad'), async (route, body, who) => {
        ran++;
        const auth = { operator: token, admin: ADMIN_TOKEN, none: undefined, bad: 'kwo_not-a-real-token' }[who];
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
        const before = await state();
        const answer = await send(route.method, route.path, headers, body);
        checkAnswer(answer.status, answer.body, `${route.method} ${route.path} ${body.slice(0, 120)}`);
        if (answer.status >= 400) assert.equal(await state(), before, `refused ${route.method} ${route.path} ${body.slice(0, 200)} changed something`);
        // A lot the fuzzer did create is removed again, so later cases meet the same catalog.
        if (answer.status === 201 && route.path === '/api/lots') await api(base, 'DELETE', `/api/lots/${(answer.body as { id: string }).id}`, { token: ADMIN_TOKEN });
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    cases += ran;
    assert.ok(ran >= 200, `only ${ran} cases ran`);
  });

  it('answers generated searches on /api/lots and /api/lots.geojson below 500, with lots or a 400 naming the parameter', async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('/api/lots', '/api/lots.geojson'), fc.constantFrom('application/json', 'application/geo+json', '*/*', 'text/html;q=0.1, application/geo+json', 'x/y'), async (q, path, accept) => {
        ran++;
        const answer = await send('GET', `${path}?${q}`, { accept });
        checkAnswer(answer.status, answer.body, `GET ${path}?${q}`);
        // 431: a URL longer than Node's header limit, refused by its HTTP parser before any handler.
        if (answer.status === 400) assert.equal((answer.body as { error: { code: string } }).error.code, 'validation_failed');
        else if (answer.status !== 431) assert.equal(answer.status, 200, `GET ${path}?${q.slice(0, 300)} → ${answer.status}`);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    cases += ran;
    assert.ok(ran >= 200, `only ${ran} cases ran`);
  });

  it('answers reads and deletions with generated path parameters below 500, and deletes nothing it refused', async () => {
    let ran = 0;
    const route = fc.oneof(
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}` })),
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}/audit` })),
      idParam.map((id) => ({ method: 'GET', path: `/api/lots/${id}/gateways` })),
      idParam.filter((id) => id !== 'fuzz-owned' && id !== 'hangzhou-rd-7').map((id) => ({ method: 'DELETE', path: `/api/lots/${id}` })),
      idParam.map((id) => ({ method: 'DELETE', path: `/api/gateways/${id}` })),
      idParam.map((id) => ({ method: 'DELETE', path: `/api/operators/${id}` })),
      fc.constantFrom({ method: 'GET', path: '/api/me' }, { method: 'GET', path: '/api/me/lots' }, { method: 'GET', path: '/api/operators' }, { method: 'PUT', path: '/api/lots' }, { method: 'GET', path: '/api/__proto__' }),
    );
    await fc.assert(
      fc.asyncProperty(route, fc.constantFrom('operator', 'admin', 'none'), async ({ method, path }, who) => {
        ran++;
        const auth = { operator: token, admin: ADMIN_TOKEN, none: undefined }[who];
        const before = await state();
        const answer = await send(method, path, auth ? { authorization: `Bearer ${auth}` } : {});
        checkAnswer(answer.status, answer.body, `${method} ${path}`);
        if (answer.status >= 400 || method === 'GET') assert.equal(await state(), before, `${method} ${path} → ${answer.status} changed something`);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    cases += ran;
    assert.ok(ran >= 200, `only ${ran} cases ran`);
  });

  it('is still up and consistent afterwards', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await api(base, 'GET', '/api/lots/fuzz-owned')).status, 200);
    const lots = await api(base, 'GET', '/api/lots');
    assert.equal(lots.body.lots.length, t.app.catalog.size);
  });
});
