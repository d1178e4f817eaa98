// What the HTTP fuzz suites share (test/http/fuzz*.test.ts): the values a
// careless or hostile client sends, a service whose log lines the suite reads,
// and a property run that must make at least FUZZ_RUNS cases.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { startApp, type TestApp } from './app.ts';
import { runningClock } from './clock.ts';
import { captureLogs, LEVELS, type LogLine } from './logs.ts';
import { newLot } from './api.ts';

/** Cases per property: every property runs this many, whatever the machine's speed (the mocha timeout bounds the time). */
export const FUZZ_RUNS = 1000;

export const LOT_FIELDS = [
  'id', 'name', 'nameEn', 'address', 'lat', 'lon', 'type', 'status', 'capacity', 'staleAfterS', 'openingHours', 'capacityDisabled',
  'capacityCharging', 'capacityFamily', 'capacityWomen', 'fee', 'priceInfo', 'priceInfoEn', 'maxHeightCm',
];
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

/** Strings a careless or hostile client sends: lone surrogates, controls, bidi overrides, invisible ones, huge ones. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\u202egnp.exe', '\u2066x\u2069', '\u200b\u200d', '\u3000 ', '\u0000', 'a\nb', '\u0301', '\ufeff', '', ' ', '💩', 'Cafe\u0301'),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('Mo-Fr 07:00-22:00', 'nonsense hours', '24/7', 'open', 'surface', 'underground', 'closed', 'gw-1', 'hangzhou-rd-7', 'fuzz-owned'),
);
export const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 1, 36.09, 120.36, 100_001, 0.5));
export const leaf = fc.oneof(nastyString, nastyNumber, fc.boolean(), fc.constant(null));
export const key = fc.oneof(fc.constantFrom(...LOT_FIELDS, ...PROTO_KEYS, 'lotId', 'role'), fc.string({ maxLength: 12 }));
/** Any JSON value, with prototype keys and lot fields as keys. */
export const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
})).value;
/** A lot body that is nearly valid: a valid one with fields removed, replaced or added. */
export const nearlyALot = fc
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
/** `{"k":v,` + the rest of an object's JSON: a prototype key as an own key, as JSON.parse makes it. */
export const withProtoKey = (json: string) => fc.tuple(fc.constantFrom(...PROTO_KEYS), value).map(([k, v]) => `{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}${json === '{}' ? '}' : `,${json.slice(1)}`}`);
/** A body as text: JSON of a value, JSON with a prototype key spliced in, deep nesting, or not JSON at all. */
export const rawBody = fc.oneof(
  { weight: 4, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 4, arbitrary: nearlyALot.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: nearlyALot.chain((lot) => withProtoKey(JSON.stringify(lot))) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 40_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"name":', '\ufeff{}', '{"a":1,"a":2}', 'null', '[]', '"text"', '{"__proto__":null}', '{"name":"\\ud800"}') },
);
/** A path parameter: a good id, a taken one, or anything. */
export const idParam = fc.oneof(
  fc.constantFrom('fuzz-owned', 'hangzhou-rd-7', 'no-such-lot', '__proto__', 'constructor', 'Bad Id', '%00', '..', 'a'.repeat(70), '%F0%9F%92%A9', '%ED%A0%80', '%E2%80%AE'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** Percent-encoding that also takes a lone surrogate (as the bytes a careless client would send: ED A0 80). */
export const percent = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((ch) => (/[\ud800-\udfff]/.test(ch) ? `%ED%${(0xa0 + ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%80` : encodeURIComponent(ch))).join('');
  }
};
const rawQueryPart = fc.constantFrom('%ED%A0%80', '%FF', '%', '%%', '%E2%80%AE', '&&', '=', '==', '%00');
/** A query string of the route's own parameters (given, with values that fit them) and anything else, repeated keys included. */
export function queryString(keys: readonly string[], values: fc.Arbitrary<string>[] = []): fc.Arbitrary<string> {
  const queryKey = fc.oneof(fc.constantFrom(...keys, ...PROTO_KEYS, `${keys[0] ?? 'x'}[]`, `${keys[0] ?? 'x'}[0]`), fc.string({ maxLength: 8 }));
  const queryValue = fc.oneof(
    nastyString,
    nastyNumber.map(String),
    fc.array(nastyNumber, { maxLength: 5 }).map((list) => list.join(',')),
    fc.constantFrom('NaN', 'Infinity', '1e400', ',,,', ' ', '10001', '0', '-5', 'true', 'false', 'csv', 'json'),
    ...values,
  );
  return fc
    .array(fc.oneof({ weight: 5, arbitrary: fc.tuple(queryKey, queryValue).map(([k, v]) => `${percent(k)}=${percent(v)}`) }, { weight: 1, arbitrary: rawQueryPart }), { maxLength: 6 })
    .map((parts) => parts.join('&'));
}

/** Table row counts (and, given, more counts as `select count(*) …` SQL) in one query: a fuzz case should cost little more than its request. */
export async function rowCounts(db: Knex, tables: readonly string[], more: readonly string[] = []): Promise<string> {
  const columns = [...tables.map((_, i) => `(select count(*) from ??) as n${i}`), ...more.map((sql, i) => `(${sql}) as m${i}`)];
  return JSON.stringify(await db.raw(`select ${columns.join(', ')}`, [...tables]));
}

export interface Answer {
  status: number;
  body: unknown;
  text: string;
}

/** One request as a client sends it; the answer's body parsed when it is JSON. */
export async function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array<ArrayBuffer>): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, text };
}

/**
 * The answer is an answer: below 500, and an error says what it is — JSON
 * with an error code (NGSI-LD: a ProblemDetails type; its 501 says an
 * operation it does not support). 431 is Node's HTTP parser refusing a URL
 * over its header limit, before any handler.
 */
export function checkAnswer(answer: Answer, what: string): void {
  const { status, body } = answer;
  const ngsiLd = what.includes('/ngsi-ld/');
  const problem = body as { error?: { code?: unknown }; type?: unknown } | undefined;
  const unsupported = ngsiLd && status === 501 && typeof problem?.type === 'string' && problem.type.endsWith('/OperationNotSupported');
  assert.ok(status < 500 || unsupported, `${what.slice(0, 300)} → ${status} ${JSON.stringify(body)?.slice(0, 300)}`);
  if (status >= 400 && status !== 431) {
    const code = ngsiLd ? problem?.type : problem?.error?.code;
    assert.equal(typeof code, 'string', `${what.slice(0, 300)} → ${status} without an error code: ${JSON.stringify(body)?.slice(0, 200)}`);
  }
}

/**
 * Runs a property FUZZ_RUNS times (no time limit: a slow machine takes
 * longer, it does not test less) and answers how many cases ran.
 */
export async function fuzz<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>, runs = FUZZ_RUNS): Promise<number> {
  let ran = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      ran++;
      await check(value);
    }),
    { numRuns: runs },
  );
  return ran;
}

export interface FuzzService {
  t: TestApp;
  base: string;
  /** The service's clock. */
  clock: () => number;
  lines: LogLine[];
  /** What was logged at error level or above. */
  errorsLogged(): LogLine[];
}

/**
 * The service for a fuzz suite: no rate limits in the way, warnings and
 * errors captured, and a clock of its own (a fixed day, running at the
 * machine's pace), so no case depends on the date it runs on.
 */
export async function startFuzzService(env: Record<string, string> = {}): Promise<FuzzService> {
  const captured = captureLogs('warn');
  const clock = runningClock(Date.parse('2026-11-25T10:00:00+08:00'));
  const t = await startApp(
    { WRITE_RATE_LIMIT: '1000000000', AUTH_FAILURE_LIMIT: '1000000000', HTTP_INGEST_RATE_LIMIT: '1000000000', ...env },
    { log: captured.log, clock },
  );
  return { t, base: t.app.httpUrl, clock, lines: captured.lines, errorsLogged: () => captured.lines.filter((line) => line.level >= LEVELS.error) };
}
