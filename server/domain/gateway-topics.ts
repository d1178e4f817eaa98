// What a gateway may publish and subscribe to (DESIGN.md §3, gateway auth):
// the sensor topics of the lots assigned to it and its own status; it may
// read what the service answers it (its lots' availability, its errors).
// One rule, two uses: the embedded broker enforces it, and the Mosquitto
// acl_file printer (npm run gateways -- mosquitto-acl) writes it out. Pure.
import {
  ANY_ID, availabilityTopic, countTopic, gatewayErrorsTopic, gateTopic, heartbeatTopic, lotTopicRoot, spaceTopic, statusTopic,
  topicMatches,
} from './events.ts';

export interface GatewayTopics {
  publish: string[];
  subscribe: string[];
}

/** The topics a gateway publishes for one of its lots (never `availability`: that is the service's). */
const lotTopicsOfGateways = (baseTopic: string, lotId: string) =>
  [countTopic(baseTopic, lotId), gateTopic(baseTopic, lotId), heartbeatTopic(baseTopic, lotId), spaceTopic(baseTopic, lotId, ANY_ID)];

/** The same, after `{base}/lots/{lot}/`: `count`, `gate`, `heartbeat`, `spaces/+`. */
export const LOT_TOPICS_OF_GATEWAYS: readonly string[] = lotTopicsOfGateways('{base}', '{lot}').map((topic) =>
  topic.slice(lotTopicRoot('{base}', '{lot}').length + 1),
);

export function gatewayTopics(baseTopic: string, gatewayId: string, lotIds: readonly string[]): GatewayTopics {
  const status = statusTopic(baseTopic, gatewayId);
  return {
    publish: [...lotIds.flatMap((lot) => lotTopicsOfGateways(baseTopic, lot)), status],
    subscribe: [...lotIds.map((lot) => availabilityTopic(baseTopic, lot)), gatewayErrorsTopic(baseTopic, gatewayId), status],
  };
}

export function mayPublish(topics: GatewayTopics, topic: string): boolean {
  return topics.publish.some((filter) => topicMatches(filter, topic));
}

/** A subscription is allowed when it asks for an allowed filter, or a single topic one covers. */
export function maySubscribe(topics: GatewayTopics, filter: string): boolean {
  const wildcard = /[+#]/.test(filter);
  return topics.subscribe.some((allowed) => allowed === filter || (!wildcard && topicMatches(allowed, filter)));
}
