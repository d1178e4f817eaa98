// An HTTP ingest body as its messages (domain/http-ingest.ts splitIngestBody):
// each element of a batch is its own payload, as written, however deep or odd
// it is — the ingest stage then judges it as it would over MQTT.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitIngestBody } from '../../server/domain/http-ingest.ts';

const texts = (body: string) => {
  const split = splitIngestBody(Buffer.from(body));
  assert.ok(split.ok, body);
  return split.payloads.map((payload) => Buffer.from(payload).toString('utf8'));
};

describe('domain: an HTTP ingest batch as its messages', () => {
  it('gives an element nested 40,000 deep as one payload of its own (JSON.stringify overflowed the stack: a 500)', () => {
    const deep = `${'['.repeat(40_000)}${']'.repeat(40_000)}`;
    assert.deepEqual(texts(`[{"occupied":1},${deep}]`), ['{"occupied":1}', deep]);
    const deepObject = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    assert.deepEqual(texts(`[${deepObject}, "online"]`), [deepObject, 'online']);
  });

  it('keeps each element as written: commas, brackets and escaped quotes inside strings, whitespace around', () => {
    assert.deepEqual(texts('[ {"gate":"a,b]"} ,\n\t"off\\"line", {"x":["[",{"y":"}"}]} , 1.50 ,null]'), ['{"gate":"a,b]"}', 'off"line', '{"x":["[",{"y":"}"}]}', '1.50', 'null']);
  });

  it('any JSON array, however laid out: each payload is its element (a string element, the text itself)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.constantFrom(undefined, 1, 2, '\t'), (elements, indent) => {
        const payloads = texts(JSON.stringify(elements, null, indent));
        assert.equal(payloads.length, elements.length);
        // As JSON has it (-0 is written 0).
        const expected = JSON.parse(JSON.stringify(elements)) as unknown[];
        payloads.forEach((payload, i) => assert.deepEqual(typeof expected[i] === 'string' ? payload : JSON.parse(payload), expected[i]));
      }),
      { numRuns: 500 },
    );
  });
});
