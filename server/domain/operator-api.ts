// The operators' API answers (DESIGN.md §4), typed once for the server, the
// operator page and the tests.
import { z } from 'zod';
import type { Principal } from './principal.ts';
import type { GatewayTopics } from './gateway-topics.ts';
import type { FieldChange } from './lot-input.ts';
import { lotIdSchema, type LotView } from './lot.ts';
import { text } from './text.ts';

export type { FieldChange, GatewayTopics, Principal };

export interface GatewayInfo {
  id: string;
  name: string | null;
  lotIds: string[];
  createdAt: string;
}

export interface GatewayView extends GatewayInfo {
  /** Connected to the broker now; null when this service cannot know (external broker, or MQTT_AUTH off). */
  online: boolean | null;
}

/** How a gateway connects: broker URL, client id and username (both its id) and the topics it may use. */
export interface GatewayConnection {
  url: string;
  /** The embedded broker with MQTT_AUTH=on refuses any other client id (it would knock another gateway off). */
  clientId: string;
  username: string;
  topics: GatewayTopics;
}

/** POST /api/lots/{id}/gateways: the secret is shown here once, and never again. */
export interface NewGatewayAnswer extends GatewayView {
  secret: string;
  mqtt: GatewayConnection & { password: string };
}

export interface MeAnswer {
  operator: Principal;
  mqtt: { url: string; baseTopic: string; auth: boolean };
}

export interface MyLotsAnswer {
  lots: LotView[];
  gateways: GatewayView[];
}

export interface AuditEntry {
  id: number;
  lotId: string;
  action: 'lot.create' | 'lot.update' | 'lot.delete' | 'gateway.create' | 'gateway.assign' | 'gateway.delete';
  at: string;
  actor: { id: string; name: string };
  /** Each changed field, from what to what (all fields for a creation or a deletion). */
  changes: Record<string, FieldChange>;
}

/** An error answer, with field errors for a 400 validation_failed. */
export interface ErrorAnswer {
  error: { code: string; message: string; details?: { fields?: Record<string, string[]>; retryAfterS?: number } };
}

/** POST /api/lots/{id}/gateways: a gateway's optional name. */
export const newGatewaySchema = z.object({ name: text(200).optional() }).strict();
/** POST /api/gateways/{id}/lots: one more lot for a gateway. */
export const assignLotSchema = z.object({ lotId: lotIdSchema }).strict();
