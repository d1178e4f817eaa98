import assert from 'node:assert/strict';
import {
  errorsTopic, isContractTopic, isRejection, parseCountEvent, parseGateEvent, parseHeartbeatEvent, parseSpaceEvent,
  parseStatusEvent, parseTopic, subscriptionTopics, topicMatches, type Rejection,
} from '../../server/domain/events.ts';
import type { CountEvent } from '../../server/domain/live.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');

function rejected(value: object): Rejection {
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

  it('parses every input topic: gate, bay sensor, heartbeat, gateway status', () => {
    assert.deepEqual(parseTopic('parking', 'parking/lots/a1/gate'), { kind: 'gate', lotId: 'a1' });
    assert.deepEqual(parseTopic('parking', 'parking/lots/a1/spaces/b-017'), { kind: 'space', lotId: 'a1', spaceId: 'b-017' });
    assert.deepEqual(parseTopic('parking', 'parking/lots/a1/heartbeat'), { kind: 'heartbeat', lotId: 'a1' });
    assert.deepEqual(parseTopic('parking', 'parking/gateways/gw-1/status'), { kind: 'status', gatewayId: 'gw-1' });
  });

  it('matches every topic it parses with one of the subscriptions', () => {
    for (const topic of ['parking/lots/a/count', 'parking/lots/a/gate', 'parking/lots/a/spaces/s', 'parking/lots/a/heartbeat', 'parking/gateways/g/status']) {
      assert.ok(subscriptionTopics('parking').some((f) => topicMatches(f, topic)), topic);
    }
    assert.ok(!subscriptionTopics('parking').some((f) => topicMatches(f, 'parking/lots/a/availability')), 'never its own output');
  });

  for (const topic of ['parking/lots/a/spaces', 'parking/lots/a/spaces/B', 'parking/lots/a/spaces/x/y', 'parking/gateways/GW/status', 'parking/gateways/g/state', 'parking/gateways/g']) {
    it(`rejects the malformed topic ${topic}`, () => {
      assert.equal(rejected(parseTopic('parking', topic)).reason, 'malformed_topic');
    });
  }

  for (const topic of ['parking/lots/a/availability', 'parking/gateways/g/errors', 'parking/errors']) {
    it(`rejects a client's message on the service's own topic ${topic} → reserved_topic`, () => {
      assert.equal(rejected(parseTopic('parking', topic)).reason, 'reserved_topic');
    });
  }

  it('names the errors topic after the publisher when it is a valid id', () => {
    assert.equal(errorsTopic('parking', 'gw-1'), 'parking/gateways/gw-1/errors');
    assert.equal(errorsTopic('parking', 'mqttjs_1234'), 'parking/errors');
    assert.equal(errorsTopic('parking', undefined), 'parking/errors');
  });

  it('claims only the contract namespace (the embedded broker passes the rest through)', () => {
    assert.ok(isContractTopic('parking', 'parking/lots/x'));
    assert.ok(isContractTopic('parking', 'parking/gateways/x/status'));
    assert.ok(!isContractTopic('parking', 'parkingx/lots/a/count'));
    assert.ok(!isContractTopic('parking', 'home/kitchen/light'));
  });

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

describe('domain: gate, bay, heartbeat and status payloads', () => {
  it('reads a gate event as a signed delta, count 1 by default', () => {
    assert.deepEqual(parseGateEvent('a', `{"event":"exit","gate":"north","seq":4,"ts":${NOW - 1000}}`, NOW), {
      lotId: 'a', gate: 'north', delta: -1, ts: NOW - 1000, sensorTs: true, seq: 4, receivedAt: NOW,
    });
    const entry = parseGateEvent('a', '{"event":"entry","count":3,"gate":"s"}', NOW);
    assert.ok(!isRejection(entry));
    assert.deepEqual([entry.delta, entry.ts, entry.sensorTs, entry.seq], [3, NOW, false, null]);
  });

  for (const [payload, mentions] of [
    ['{"event":"in","gate":"n"}', 'event'],
    ['{"event":"entry"}', 'gate'],
    ['{"event":"entry","gate":"North Gate"}', 'gate'],
    ['{"event":"entry","gate":"n","count":0}', 'count'],
    ['{"event":"entry","gate":"n","seq":1.5}', 'seq'],
  ] as const) {
    it(`rejects the gate payload ${payload} → invalid_payload naming ${mentions}`, () => {
      const r = rejected(parseGateEvent('a', payload, NOW));
      assert.equal(r.reason, 'invalid_payload');
      assert.ok(r.message.includes(mentions), r.message);
    });
  }

  it('reads a bay sensor state; occupied must be a boolean', () => {
    assert.deepEqual(parseSpaceEvent('a', 's1', '{"occupied":true,"seq":2}', NOW), {
      lotId: 'a', spaceId: 's1', occupied: true, ts: NOW, seq: 2, receivedAt: NOW,
    });
    assert.equal(rejected(parseSpaceEvent('a', 's1', '{"occupied":1}', NOW)).reason, 'invalid_payload');
  });

  it('takes an empty heartbeat (mosquitto_pub -n) at the time of receipt', () => {
    assert.deepEqual(parseHeartbeatEvent('a', '', NOW), { lotId: 'a', ts: NOW, receivedAt: NOW });
    assert.deepEqual(parseHeartbeatEvent('a', `{"ts":${NOW - 5}}`, NOW), { lotId: 'a', ts: NOW - 5, receivedAt: NOW });
    assert.equal(rejected(parseHeartbeatEvent('a', '{"ts":"soon"}', NOW)).reason, 'invalid_payload');
  });

  it('reads a gateway status as JSON or as the bare words online/offline', () => {
    assert.deepEqual(parseStatusEvent('g', '{"state":"offline"}', NOW), { gatewayId: 'g', online: false, receivedAt: NOW });
    assert.deepEqual(parseStatusEvent('g', 'online', NOW), { gatewayId: 'g', online: true, receivedAt: NOW });
    assert.equal(rejected(parseStatusEvent('g', '{"state":"sleeping"}', NOW)).reason, 'invalid_payload');
    assert.equal(rejected(parseStatusEvent('g', '', NOW)).reason, 'malformed_payload');
  });

  it('rejects a ts before 2000 (a sensor whose clock is not set) on every kind → invalid_payload', () => {
    for (const ts of [0, -1000, '1969-12-31T23:59:59Z', '1999-12-31T23:59:59+00:00']) {
      const count = rejected(parseCountEvent('a', JSON.stringify({ occupied: 1, ts }), NOW));
      assert.deepEqual([count.reason, /clock/.test(count.message)], ['invalid_payload', true], JSON.stringify(ts));
      assert.equal(rejected(parseGateEvent('a', JSON.stringify({ event: 'entry', gate: 'n', seq: 1, ts }), NOW)).reason, 'invalid_payload');
      assert.equal(rejected(parseSpaceEvent('a', 's', JSON.stringify({ occupied: true, ts }), NOW)).reason, 'invalid_payload');
    }
  });

  it('rejects a future ts on every kind → future_timestamp', () => {
    const ts = NOW + 6 * 60_000;
    assert.equal(rejected(parseGateEvent('a', JSON.stringify({ event: 'entry', gate: 'n', ts }), NOW)).reason, 'future_timestamp');
    assert.equal(rejected(parseSpaceEvent('a', 's', JSON.stringify({ occupied: true, ts }), NOW)).reason, 'future_timestamp');
    assert.equal(rejected(parseHeartbeatEvent('a', JSON.stringify({ ts }), NOW)).reason, 'future_timestamp');
  });
});
