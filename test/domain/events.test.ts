import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ANY_ID, availabilityTopic, countTopic, errorsTopic, gatewayErrorsTopic, gatewayStatusTopic, gateTopic, heartbeatTopic, ID_PATTERN,
  ingestSubscriptions, inputMessage, isContractTopic, isRejection, parseCountEvent, parseGateEvent, parseHeartbeatEvent,
  parseSpaceEvent, parseStatusEvent, parseTopic, serviceErrorsTopic, spaceTopic, statusTopic, subscriptionTopics, topicMatches,
  topicOf, type CountPayload, type GatePayload, type HeartbeatPayload, type ParsedTopic, type Rejection, type SpacePayload,
  type StatusPayload,
} from '../../server/domain/events.ts';
import { gatewayTopics, LOT_TOPICS_OF_GATEWAYS } from '../../server/domain/gateway-topics.ts';
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

describe('domain: MQTT topic builders', () => {
  it('spell the topics of DESIGN.md §3', () => {
    assert.equal(countTopic('parking', 'a1'), 'parking/lots/a1/count');
    assert.equal(gateTopic('parking', 'a1'), 'parking/lots/a1/gate');
    assert.equal(heartbeatTopic('parking', 'a1'), 'parking/lots/a1/heartbeat');
    assert.equal(spaceTopic('parking', 'a1', 'b-017'), 'parking/lots/a1/spaces/b-017');
    assert.equal(statusTopic('parking', 'gw-1'), 'parking/gateways/gw-1/status');
    assert.equal(gatewayStatusTopic('parking', 'gw-1'), 'parking/gateways/gw-1/status', 'the older name, the same topic');
    assert.equal(availabilityTopic('parking', 'a1'), 'parking/lots/a1/availability');
    assert.equal(gatewayErrorsTopic('parking', 'gw-1'), 'parking/gateways/gw-1/errors');
    assert.equal(serviceErrorsTopic('parking'), 'parking/errors');
  });

  const examples: ParsedTopic[] = [
    { kind: 'count', lotId: 'hangzhou-rd-7' },
    { kind: 'gate', lotId: 'a1' },
    { kind: 'heartbeat', lotId: '0' },
    { kind: 'space', lotId: 'a1', spaceId: 'b-017' },
    { kind: 'status', gatewayId: 'gw-1' },
  ];
  for (const base of ['parking', 'city/qd']) {
    for (const example of examples) {
      it(`round-trips a ${example.kind} topic through parseTopic (base ${base})`, () => {
        const topic = topicOf(base, example);
        assert.deepEqual(parseTopic(base, topic), example, topic);
        assert.ok(isContractTopic(base, topic));
      });
    }
  }

  it('round-trips every valid id of every kind (property)', () => {
    const id = fc.stringMatching(ID_PATTERN);
    const parsed: fc.Arbitrary<ParsedTopic> = fc.oneof(
      fc.record({ kind: fc.constantFrom('count' as const, 'gate' as const, 'heartbeat' as const), lotId: id }),
      fc.record({ kind: fc.constant('space' as const), lotId: id, spaceId: id }),
      fc.record({ kind: fc.constant('status' as const), gatewayId: id }),
    );
    const base = fc.constantFrom('parking', 'city/qd', 'a-b/c_d');
    // fast-check's records have no prototype: compare with a plain copy.
    fc.assert(fc.property(base, parsed, (b, p) => assert.deepEqual(parseTopic(b, topicOf(b, p)), { ...p })));
  });

  it('each builder and topicOf agree', () => {
    assert.equal(topicOf('p', { kind: 'count', lotId: 'x' }), countTopic('p', 'x'));
    assert.equal(topicOf('p', { kind: 'gate', lotId: 'x' }), gateTopic('p', 'x'));
    assert.equal(topicOf('p', { kind: 'heartbeat', lotId: 'x' }), heartbeatTopic('p', 'x'));
    assert.equal(topicOf('p', { kind: 'space', lotId: 'x', spaceId: 's' }), spaceTopic('p', 'x', 's'));
    assert.equal(topicOf('p', { kind: 'status', gatewayId: 'g' }), statusTopic('p', 'g'));
  });

  it('make the subscription filters with ANY_ID: each input topic matches exactly one, no output matches any', () => {
    const filters = subscriptionTopics('parking');
    assert.deepEqual(ingestSubscriptions('parking'), {
      perLot: [countTopic('parking', ANY_ID), gateTopic('parking', ANY_ID), spaceTopic('parking', ANY_ID, ANY_ID), heartbeatTopic('parking', ANY_ID)],
      statuses: [statusTopic('parking', ANY_ID)],
    });
    for (const example of examples) {
      const topic = topicOf('parking', example);
      assert.equal(filters.filter((f) => topicMatches(f, topic)).length, 1, topic);
    }
    for (const output of [availabilityTopic('parking', 'a'), gatewayErrorsTopic('parking', 'g'), serviceErrorsTopic('parking')]) {
      assert.ok(!filters.some((f) => topicMatches(f, output)), output);
      assert.equal(rejected(parseTopic('parking', output)).reason, 'reserved_topic', output);
    }
  });

  it("build a gateway's topics (the rule the broker enforces) from the same builders", () => {
    assert.deepEqual(gatewayTopics('parking', 'gw-1', ['a', 'b']), {
      publish: [
        'parking/lots/a/count', 'parking/lots/a/gate', 'parking/lots/a/heartbeat', 'parking/lots/a/spaces/+',
        'parking/lots/b/count', 'parking/lots/b/gate', 'parking/lots/b/heartbeat', 'parking/lots/b/spaces/+',
        'parking/gateways/gw-1/status',
      ],
      subscribe: ['parking/lots/a/availability', 'parking/lots/b/availability', 'parking/gateways/gw-1/errors', 'parking/gateways/gw-1/status'],
    });
    assert.deepEqual(LOT_TOPICS_OF_GATEWAYS, ['count', 'gate', 'heartbeat', 'spaces/+']);
    // What a gateway may publish is what the service subscribes to, for its lots.
    for (const topic of gatewayTopics('parking', 'gw-1', ['a']).publish) {
      assert.ok(subscriptionTopics('parking').some((f) => topicMatches(f, topic.replace('+', 's'))), topic);
    }
  });
});

describe('domain: typed input messages', () => {
  const NOW_TS = Date.parse('2026-11-28T08:00:00Z');

  it('builds messages the parsers accept, one per kind', () => {
    const count = inputMessage('parking', { kind: 'count', lotId: 'a' }, { occupied: 3, ts: NOW_TS, seq: 1 } satisfies CountPayload);
    assert.equal(count.topic, 'parking/lots/a/count');
    assert.deepEqual(parseCountEvent('a', count.payload, NOW_TS), { lotId: 'a', ts: NOW_TS, seq: 1, occupied: 3, free: null, capacity: null, receivedAt: NOW_TS });

    const free = inputMessage('parking', { kind: 'count', lotId: 'a' }, { free: 9, capacity: 40 });
    assert.ok(!isRejection(parseCountEvent('a', free.payload, NOW_TS)));

    const gatePayload: GatePayload = { event: 'exit', count: 2, gate: 'north', ts: '2026-11-28T16:00:00+08:00', seq: 4 };
    const gate = inputMessage('parking', { kind: 'gate', lotId: 'a' }, gatePayload);
    assert.deepEqual(parseTopic('parking', gate.topic), { kind: 'gate', lotId: 'a' });
    assert.deepEqual(parseGateEvent('a', gate.payload, NOW_TS), { lotId: 'a', gate: 'north', delta: -2, ts: NOW_TS, sensorTs: true, seq: 4, receivedAt: NOW_TS });

    const spacePayload: SpacePayload = { occupied: true, seq: 2 };
    const space = inputMessage('parking', { kind: 'space', lotId: 'a', spaceId: 's1' }, spacePayload);
    assert.deepEqual(parseTopic('parking', space.topic), { kind: 'space', lotId: 'a', spaceId: 's1' });
    assert.ok(!isRejection(parseSpaceEvent('a', 's1', space.payload, NOW_TS)));

    const heartbeatPayload: HeartbeatPayload = {};
    assert.ok(!isRejection(parseHeartbeatEvent('a', inputMessage('parking', { kind: 'heartbeat', lotId: 'a' }, heartbeatPayload).payload, NOW_TS)));

    const statusPayload: StatusPayload = { state: 'online' };
    const status = inputMessage('parking', { kind: 'status', gatewayId: 'g' }, statusPayload);
    assert.deepEqual(parseStatusEvent('g', status.payload, NOW_TS), { gatewayId: 'g', online: true, receivedAt: NOW_TS });
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
