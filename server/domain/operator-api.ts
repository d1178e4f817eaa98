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

/** How a system that cannot speak MQTT posts for the gateway instead (DESIGN.md §3, HTTP ingest). */
export interface HttpIngestConnection {
  /** Where the ingest paths start, as seen from the operator's page: `http://host:3000/api/ingest`. */
  url: string;
  /** HTTP Basic: the gateway id as user name, its secret as password. */
  username: string;
  /** The paths this gateway may post to (its MQTT publish topics as paths; `{space}` stands for a bay's id). */
  paths: string[];
}

/** POST /api/lots/{id}/gateways: the secret is shown here once, and never again. */
export interface NewGatewayAnswer extends GatewayView {
  secret: string;
  mqtt: GatewayConnection & { password: string };
  http: HttpIngestConnection & { password: string };
}

/** POST /api/gateways/{id}/lots: the gateway with its lots, and how it connects now (no secret). */
export interface AssignedGatewayAnswer extends GatewayView {
  mqtt: GatewayConnection;
  http: HttpIngestConnection;
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
