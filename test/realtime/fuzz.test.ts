// Fuzzing Socket.IO: thousands of generated `subscribe` payloads — anything
// JSON can carry, prototype keys, wrong types, huge and deep ones, bboxes and
// id lists at and past their bounds — and other events. Every subscribe is
// answered with a snapshot or an error with a code, the server never logs an
// error or falls over, and a socket's subscription never holds an unknown lot.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_SUBSCRIBED_IDS, type SubscribeAck } from '../../server/domain/contract.ts';
import { connectSocket, getJson, startApp, subscribe, type TestApp, type TestSocket } from '../helpers/app.ts';
import { FUZZ_RUNS } from '../helpers/fuzz.ts';
import { captureLogs, LEVELS, type LogLine } from '../helpers/logs.ts';

/** Cases of the property: all of them, however slow the machine (the mocha timeout bounds the time). At least FUZZ_RUNS. */
const RUNS = 2 * FUZZ_RUNS;
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
const KNOWN_IDS = ['hangzhou-rd-7', 'cruise-port', 'nanfeng-rd'];
const CODES = new Set(['validation_failed', 'superseded', 'unavailable']);

const coordinate = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(-180, 180, -90, 90, 0, 120.36, 36.09, 1e308, -1e308, 181, -91),
  fc.double({ min: 120.2, max: 120.5, noNaN: true }),
  fc.double({ min: 35.9, max: 36.2, noNaN: true }),
);
const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\ud800', '\u202e', '', 'live', 'all', ...KNOWN_IDS), coordinate, fc.integer(), fc.boolean(), fc.constant(null));
const key = fc.oneof(fc.constantFrom('bbox', 'ids', 'fields', ...PROTO_KEYS), fc.string({ maxLength: 8 }));
const anything: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 5 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
})).value;
const fields = fc.option(fc.oneof(fc.constantFrom('live', 'all', 'none', 'LIVE'), leaf), { nil: undefined });
const id = fc.oneof(fc.constantFrom(...KNOWN_IDS), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/), fc.string({ maxLength: 70 }), fc.constantFrom('__proto__', 'constructor'));
const payload = fc.oneof(
  { weight: 3, arbitrary: fc.record({ bbox: fc.oneof(fc.tuple(coordinate, coordinate, coordinate, coordinate), fc.array(coordinate, { maxLength: 6 }), leaf), fields }, { requiredKeys: ['bbox'] }) },
  { weight: 3, arbitrary: fc.record({ ids: fc.oneof(fc.array(id, { maxLength: 8 }), fc.array(id, { minLength: MAX_SUBSCRIBED_IDS - 2, maxLength: MAX_SUBSCRIBED_IDS + 2 }), leaf), fields }, { requiredKeys: ['ids'] }) },
  { weight: 1, arbitrary: fc.record({ bbox: fc.tuple(coordinate, coordinate, coordinate, coordinate), ids: fc.array(id, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: anything },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), anything).map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'},"ids":["hangzhou-rd-7"]}`) as unknown) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 500 }).map((depth) => JSON.parse(`${'{"ids":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown) },
);

describe('fuzzing Socket.IO: thousands of generated subscribe payloads', function () {
  this.timeout(120_000);
  let t: TestApp;
  let lines: LogLine[];
  let socket: TestSocket;
  const reconnect = async () => {
    socket?.disconnect();
    socket = await connectSocket(t.app.httpUrl);
  };
  before(async () => {
    const captured = captureLogs('warn');
    lines = captured.lines;
    t = await startApp({}, { log: captured.log });
    await reconnect();
  });
  after(async () => {
    socket?.disconnect();
    await t?.stop();
  });

  it('answers every subscribe with a snapshot of known lots, or an error with a code; never an error logged', async () => {
    const known = new Set([...t.app.catalog.all()].map((lot) => lot.id));
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(payload, async (raw) => {
        ran++;
        if (!socket.connected) await reconnect();
        const answer = (await socket.timeout(5000).emitWithAck('subscribe', raw as never)) as SubscribeAck;
        if ('error' in answer) {
          assert.ok(CODES.has(answer.error.code), `unexpected code ${answer.error.code}`);
          assert.equal(typeof answer.error.message, 'string');
        } else {
          assert.ok(Array.isArray(answer.lots), JSON.stringify(answer).slice(0, 200));
          for (const lot of answer.lots) assert.ok(known.has(lot.id), `a snapshot with ${lot.id}`);
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`      (${ran} generated subscribes)`);
    assert.ok(ran >= RUNS, `only ${ran} cases ran`);
    assert.deepEqual(lines.filter((line) => line.level >= LEVELS.error), []);
  });

  it('survives other events, subscribes without an acknowledgement, and bursts from many sockets', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connectSocket(t.app.httpUrl)));
    const sample = fc.sample(payload, 400);
    for (const [i, raw] of sample.entries()) {
      const s = sockets[i % sockets.length]!;
      const emit = s.emit.bind(s) as (event: string, ...args: unknown[]) => void;
      emit(['subscribe', '__proto__', 'constructor', 'lots:update', 'hasOwnProperty', 'x'][i % 6]!, raw);
      if (i % 7 === 0) emit('subscribe', raw, 'not a function');
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sockets) s.disconnect();
    if (!socket.connected) await reconnect();
    const answer = await subscribe(socket, { ids: ['hangzhou-rd-7'] });
    assert.ok('lots' in answer && answer.lots[0]!.id === 'hangzhou-rd-7');
    assert.equal((await getJson(t.app.httpUrl, '/healthz')).status, 200);
    assert.deepEqual(lines.filter((line) => line.level >= LEVELS.error), []);
    assert.equal(t.app.catalog.size, 9, 'the catalog is as seeded');
  });
});
