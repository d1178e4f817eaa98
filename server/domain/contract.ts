// The Socket.IO contract (DESIGN.md §4), typed once: the server, the browser
// and the tests import these, so a renamed event fails to compile everywhere.
import { z } from 'zod';
import { isValidBBox, type BBox } from './geo.ts';
import { lotIdSchema, type LotView } from './lot.ts';

export const MAX_SUBSCRIBED_IDS = 1000;

export const subscriptionSchema = z.union([
  z.object({
    bbox: z
      .tuple([z.number(), z.number(), z.number(), z.number()])
      .refine(isValidBBox, 'bbox must be [minLon, minLat, maxLon, maxLat] in degrees, with minLat <= maxLat'),
  }),
  z.object({ ids: z.array(lotIdSchema).min(1).max(MAX_SUBSCRIBED_IDS) }),
]);
export type Subscription = { bbox: BBox } | { ids: string[] };

export type SubscribeAck = { lots: LotView[] } | { error: { code: string; message: string } };

export interface ClientToServerEvents {
  subscribe: (subscription: Subscription, ack: (answer: SubscribeAck) => void) => void;
}

export interface ServerToClientEvents {
  /** Changed lots of the socket's subscription, coalesced; a lot new to the subscription arrives here too. */
  'lots:update': (lots: LotView[]) => void;
  /** Lots that left the subscription: deleted from the catalog (or moved out of its bbox). */
  'lots:remove': (ids: string[]) => void;
}
