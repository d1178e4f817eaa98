// What a gateway may publish and subscribe to (DESIGN.md §3, gateway auth):
// the sensor topics of the lots assigned to it and its own status; it may
// read what the service answers it (its lots' availability, its errors).
// One rule, two uses: the embedded broker enforces it, and the Mosquitto
// acl_file printer (npm run gateways -- mosquitto-acl) writes it out. Pure.
import { topicMatches } from './events.ts';

export interface GatewayTopics {
  publish: string[];
  subscribe: string[];
}

/** The topics a gateway publishes for each of its lots (never `availability`: that is the service's). */
export const LOT_TOPICS_OF_GATEWAYS = ['count', 'gate', 'heartbeat', 'spaces/+'] as const;

export function gatewayTopics(baseTopic: string, gatewayId: string, lotIds: readonly string[]): GatewayTopics {
  const own = `${baseTopic}/gateways/${gatewayId}`;
  return {
    publish: [...lotIds.flatMap((lot) => LOT_TOPICS_OF_GATEWAYS.map((t) => `${baseTopic}/lots/${lot}/${t}`)), `${own}/status`],
    subscribe: [...lotIds.map((lot) => `${baseTopic}/lots/${lot}/availability`), `${own}/errors`, `${own}/status`],
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
