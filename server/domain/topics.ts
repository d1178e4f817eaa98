// The MQTT contract's topics (DESIGN.md §3): the builders every publisher
// and subscriber uses (the service, the simulators, the benchmark), their
// parser, and the reasons a message is refused. Part of the contract module:
// import it through domain/events.ts, which re-exports all of it. Pure.
import { LOT_ID_PATTERN } from './lot.ts';

/** How far ahead of the service's clock a sensor's ts may be (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** How much of a rejected payload the errors topic and the log repeat. */
export const ERROR_PAYLOAD_EXCERPT = 200;

export const rejectionReasons = [
  'malformed_topic',
  'malformed_payload',
  'invalid_payload',
  'future_timestamp',
  'unknown_lot',
  'reserved_topic',
  /** The live store refused the event (a script error on this input): logged as an error, acknowledged. */
  'store_refused',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

export interface Rejection {
  reason: RejectionReason;
  message: string;
}

/** The kinds of message the service ingests (the `kind` label of its metrics). */
export const messageKinds = ['count', 'gate', 'space', 'heartbeat', 'status'] as const;
export type MessageKind = (typeof messageKinds)[number];

/** What a topic names: its kind and ids. parseTopic reads one; topicOf writes one. */
export type ParsedTopic =
  | { kind: 'count'; lotId: string }
  | { kind: 'gate'; lotId: string }
  | { kind: 'heartbeat'; lotId: string }
  | { kind: 'space'; lotId: string; spaceId: string }
  | { kind: 'status'; gatewayId: string };

/** Lot, space, gate and gateway ids: one pattern for every id in a topic or payload. */
export const ID_PATTERN = LOT_ID_PATTERN;
const ID = ID_PATTERN;

export function isValidId(value: string): boolean {
  return ID.test(value);
}

// ---------------------------------------------------------------------------
// Topics (DESIGN.md §3). Every topic of the contract is spelled here once:
// the service, the gateway rule, the simulators and the bench build them with
// these functions, and parseTopic reads them with the same levels.
// ---------------------------------------------------------------------------

/** MQTT's single-level wildcard: pass it for an id to get a subscription filter (`{base}/lots/+/count`). */
export const ANY_ID = '+';

/** The topic levels of the contract. */
const LEVEL = {
  lots: 'lots',
  gateways: 'gateways',
  spaces: 'spaces',
  count: 'count',
  gate: 'gate',
  heartbeat: 'heartbeat',
  status: 'status',
  availability: 'availability',
  errors: 'errors',
} as const;

/** `{base}/lots/{lot}`: the lot's topics start here. */
export const lotTopicRoot = (baseTopic: string, lotId: string) => `${baseTopic}/${LEVEL.lots}/${lotId}`;
/** `{base}/gateways/{gateway}`: the gateway's topics start here. */
export const gatewayTopicRoot = (baseTopic: string, gatewayId: string) => `${baseTopic}/${LEVEL.gateways}/${gatewayId}`;

/** `{base}/lots/{lot}/count` (gateway): an absolute count, CountPayload. */
export const countTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.count}`;
/** `{base}/lots/{lot}/gate` (gate counter): vehicles passing a gate, GatePayload. */
export const gateTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.gate}`;
/** `{base}/lots/{lot}/heartbeat` (gateway): still alive, HeartbeatPayload or empty. */
export const heartbeatTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.heartbeat}`;
/** `{base}/lots/{lot}/spaces/{space}` (bay sensor): one space's state, SpacePayload. */
export const spaceTopic = (baseTopic: string, lotId: string, spaceId: string) =>
  `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.spaces}/${spaceId}`;
/** `{base}/gateways/{gateway}/status` (gateway, retained, its Last Will): StatusPayload or the bare word. */
export const statusTopic = (baseTopic: string, gatewayId: string) => `${gatewayTopicRoot(baseTopic, gatewayId)}/${LEVEL.status}`;
/** The same as statusTopic (its older name). */
export const gatewayStatusTopic = statusTopic;

/** The service's own outputs: the retained availability of each lot, and the errors topics. */
export const availabilityTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.availability}`;
/** `{base}/gateways/{gateway}/errors`: the rejections of one gateway's messages. */
export const gatewayErrorsTopic = (baseTopic: string, gatewayId: string) => `${gatewayTopicRoot(baseTopic, gatewayId)}/${LEVEL.errors}`;
/** `{base}/errors`: the rejections of messages whose publisher the service does not know. */
export const serviceErrorsTopic = (baseTopic: string) => `${baseTopic}/${LEVEL.errors}`;
/** Where a rejection is echoed: the publisher's errors topic when it is a valid gateway id, else `{base}/errors`. */
export function errorsTopic(baseTopic: string, gatewayId: string | undefined): string {
  return gatewayId !== undefined && isValidId(gatewayId) ? gatewayErrorsTopic(baseTopic, gatewayId) : serviceErrorsTopic(baseTopic);
}

/** The topic of an input message: the inverse of parseTopic. */
export function topicOf(baseTopic: string, topic: ParsedTopic): string {
  switch (topic.kind) {
    case 'count':
      return countTopic(baseTopic, topic.lotId);
    case 'gate':
      return gateTopic(baseTopic, topic.lotId);
    case 'heartbeat':
      return heartbeatTopic(baseTopic, topic.lotId);
    case 'space':
      return spaceTopic(baseTopic, topic.lotId, topic.spaceId);
    case 'status':
      return statusTopic(baseTopic, topic.gatewayId);
  }
}

/**
 * The topic filters the service subscribes to (never a wildcard over its own
 * outputs). Lot messages may be split among instances (each is applied once,
 * in any order); gateway statuses go to every instance, in order.
 */
export interface Subscriptions {
  perLot: string[];
  statuses: string[];
}

export function ingestSubscriptions(baseTopic: string): Subscriptions {
  return {
    perLot: [countTopic(baseTopic, ANY_ID), gateTopic(baseTopic, ANY_ID), spaceTopic(baseTopic, ANY_ID, ANY_ID), heartbeatTopic(baseTopic, ANY_ID)],
    statuses: [statusTopic(baseTopic, ANY_ID)],
  };
}

export function subscriptionTopics(baseTopic: string): string[] {
  const { perLot, statuses } = ingestSubscriptions(baseTopic);
  return [...perLot, ...statuses];
}

/** Whether a topic is in the contract's namespace (`{base}/lots/…`, `{base}/gateways/…`, `{base}/errors`). */
export function isContractTopic(baseTopic: string, topic: string): boolean {
  return (
    topic.startsWith(lotTopicRoot(baseTopic, '')) ||
    topic.startsWith(gatewayTopicRoot(baseTopic, '')) ||
    topic === serviceErrorsTopic(baseTopic)
  );
}

const describeId = (what: string, id: string) => `${what} "${id.slice(0, 80)}" must match ${ID.source}`;

export function parseTopic(baseTopic: string, topic: string): ParsedTopic | Rejection {
  if (topic === serviceErrorsTopic(baseTopic)) return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  // The builders with an empty id: `{base}/lots/` and `{base}/gateways/`.
  const lotsPrefix = lotTopicRoot(baseTopic, '');
  const gatewaysPrefix = gatewayTopicRoot(baseTopic, '');
  const expected =
    `expected ${lotsPrefix}{lot}/${LEVEL.count}|${LEVEL.gate}|${LEVEL.heartbeat}, ` +
    `${lotsPrefix}{lot}/${LEVEL.spaces}/{space} or ${gatewaysPrefix}{gateway}/${LEVEL.status}`;

  if (topic.startsWith(gatewaysPrefix)) {
    const [gatewayId, kind, ...rest] = topic.slice(gatewaysPrefix.length).split('/');
    if (gatewayId === undefined || rest.length > 0 || (kind !== LEVEL.status && kind !== LEVEL.errors)) {
      return { reason: 'malformed_topic', message: expected };
    }
    if (kind === LEVEL.errors) return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
    if (!ID.test(gatewayId)) return { reason: 'malformed_topic', message: describeId('gateway id', gatewayId) };
    return { kind: 'status', gatewayId };
  }
  if (!topic.startsWith(lotsPrefix)) return { reason: 'malformed_topic', message: expected };

  const [lotId, kind, ...rest] = topic.slice(lotsPrefix.length).split('/');
  if (lotId === undefined || kind === undefined) return { reason: 'malformed_topic', message: expected };
  if (kind === LEVEL.availability && rest.length === 0) {
    return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  }
  const lotKind = kind === LEVEL.count || kind === LEVEL.gate || kind === LEVEL.heartbeat ? kind : null;
  const isSpace = kind === LEVEL.spaces && rest.length === 1;
  if ((lotKind === null || rest.length > 0) && !isSpace) return { reason: 'malformed_topic', message: expected };
  if (!ID.test(lotId)) return { reason: 'malformed_topic', message: describeId('lot id', lotId) };
  if (isSpace) {
    const spaceId = rest[0]!;
    if (!ID.test(spaceId)) return { reason: 'malformed_topic', message: describeId('space id', spaceId) };
    return { kind: 'space', lotId, spaceId };
  }
  return { kind: lotKind!, lotId };
}

/** Whether an MQTT topic matches a subscription filter with `+` and `#` wildcards. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
