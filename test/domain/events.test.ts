import assert from 'node:assert/strict';
import { isRejection, parseCountEvent, parseTopic, topicMatches, type Rejection } from '../../server/domain/events.ts';
import type { CountEvent } from '../../server/domain/live.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');

function rejected(value: CountEvent | Rejection): Rejection {
  assert.ok(isRejection(value), `expected a rejection, got ${JSON.stringify(value)}`);
  return value;
}

describe('domain: MQTT topics', () => {
  it('parses a count topic into its lot id', () => {
    assert.deepEqual(parseTopic('parking', 'parking/lots/hangzhou-rd-7/count'), { kind: 'count', lotId: 'hangzhou-rd-7' });
  });

  it('works with a multi-level base topic', () => {
    assert.deepEqual(parseTopic('city/qd', 'city/qd/lots/a1/count'), { kind: 'count', lotId: 'a1' });
  });

  for (const topic of ['parking/lots/Hangzhou/count', 'parking/lots/-a/count', 'parking/lots//count', 'other/lots/a/count', 'parking/lots/a/count/x', 'parking/lots/a/bogus', `parking/lots/${'a'.repeat(65)}/count`]) {
    it(`rejects the malformed topic ${topic.length > 40 ? topic.slice(0, 40) + '…' : topic}`, () => {
      const result = parseTopic('parking', topic);
      assert.ok(isRejection(result));
      assert.equal(result.reason, 'malformed_topic');
    });
  }

  it('matches MQTT filters with + and #', () => {
    assert.ok(topicMatches('parking/lots/+/count', 'parking/lots/a/count'));
    assert.ok(!topicMatches('parking/lots/+/count', 'parking/lots/a/b/count'));
    assert.ok(topicMatches('parking/#', 'parking/lots/a/count'));
    assert.ok(!topicMatches('parking/lots/+/count', 'parking/lots/a'));
  });
});

describe('domain: count payloads', () => {
  it('takes the time of receipt when the payload has no ts', () => {
    const event = parseCountEvent('a', '{"occupied":17}', NOW) as CountEvent;
    assert.deepEqual(event, { lotId: 'a', ts: NOW, seq: null, occupied: 17, free: null, capacity: null, receivedAt: NOW });
  });

  it('reads ts as epoch milliseconds or ISO 8601 with an offset', () => {
    assert.equal((parseCountEvent('a', JSON.stringify({ free: 3, ts: NOW - 5 }), NOW) as CountEvent).ts, NOW - 5);
    assert.equal((parseCountEvent('a', '{"free":3,"ts":"2026-11-28T16:00:00+08:00"}', NOW) as CountEvent).ts, NOW);
  });

  it('rejects a payload that is not JSON → malformed_payload', () => {
    assert.equal(rejected(parseCountEvent('a', 'hello', NOW)).reason, 'malformed_payload');
  });

  const invalid: [string, string][] = [
    ['{}', 'exactly one of'],
    ['{"occupied":1,"free":2}', 'exactly one of'],
    ['{"occupied":"17"}', 'occupied'],
    ['{"occupied":1.5}', 'occupied'],
    ['{"occupied":1,"seq":-1}', 'seq'],
    ['{"occupied":1,"ts":"yesterday"}', 'ts'],
    ['{"occupied":1,"capacity":-3}', 'capacity'],
    ['[1,2]', ''],
    ['null', ''],
  ];
  for (const [payload, mentions] of invalid) {
    it(`rejects ${payload} → invalid_payload naming the problem`, () => {
      const r = rejected(parseCountEvent('a', payload, NOW));
      assert.equal(r.reason, 'invalid_payload');
      assert.ok(r.message.includes(mentions), r.message);
    });
  }

  it('rejects a ts more than five minutes in the future → future_timestamp', () => {
    assert.equal(rejected(parseCountEvent('a', JSON.stringify({ occupied: 1, ts: NOW + 6 * 60_000 }), NOW)).reason, 'future_timestamp');
    assert.ok(!isRejection(parseCountEvent('a', JSON.stringify({ occupied: 1, ts: NOW + 60_000 }), NOW)));
  });
});
