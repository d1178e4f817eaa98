// The Socket.IO contract (DESIGN.md §4), typed once: the server, the browser
// and the tests import these, so a renamed event fails to compile everywhere.
import { z } from 'zod';
import { isValidBBox, type BBox } from './geo.ts';
import { lotIdSchema, type Availability, type LotView } from './lot.ts';

export const MAX_SUBSCRIBED_IDS = 1000;
/** An area subscription holds at most this many lots (as a search answers at most 10,000). */
export const MAX_SNAPSHOT_LOTS = 10_000;
/** The largest message a client may send over Socket.IO (a subscription of 1,000 ids is about 67 KB). */
export const MAX_SOCKET_MESSAGE_BYTES = 100_000;

/** The fields a live change can move; `lots:live` carries only these (and the id). */
export const LIVE_FIELDS = [
  'capacity', 'free', 'occupied', 'availability', 'stale', 'updatedAt', 'heardAt', 'clamped',
  // Added with the bays by kind (issue 14): bay sensors move them as they move `free`.
  'freeCharging', 'freeDisabled', 'freeFamily', 'freeWomen',
] as const;
export type LotLive = Pick<LotView, 'id' | (typeof LIVE_FIELDS)[number]>;

export function liveFieldsOf(lot: LotView): LotLive {
  const { id, capacity, free, occupied, availability, stale, updatedAt, heardAt, clamped, freeCharging, freeDisabled, freeFamily, freeWomen } = lot;
  return { id, capacity, free, occupied, availability, stale, updatedAt, heardAt, clamped, freeCharging, freeDisabled, freeFamily, freeWomen };
}

/**
 * A lot's live fields as a row of values, in LIVE_FIELDS order after the id;
 * `updatedAt` and `heardAt` as ms from the push's `at` (null: no data yet).
 */
export type LiveRow = [
  id: string,
  capacity: number,
  free: number | null,
  occupied: number | null,
  availability: Availability,
  stale: boolean,
  updatedAt: number | null,
  heardAt: number | null,
  clamped: boolean,
  // Appended with the bays by kind, so the columns before keep their places;
  // left out when all four are null (most lots: no bays by kind), so their rows cost nothing more.
  freeCharging?: number | null,
  freeDisabled?: number | null,
  freeFamily?: number | null,
  freeWomen?: number | null,
];

/** `lots:rows`: `at` is the base time of the push (epoch ms: the newest `heardAt` among the changed lots). */
export interface LiveRows {
  at: number;
  rows: LiveRow[];
}

/**
 * `fields`: what a live change pushes. `all` (the default): whole lots in
 * `lots:update`. `live`: only the live fields, in `lots:live` — a fifth of the
 * bytes, for phones and for thousands of clients. `rows`: the same fields as
 * rows of values (LiveRow), in `lots:rows` — a third of `lots:live`'s bytes,
 * half its parsing; what the drivers' map asks for. With `live` and `rows`,
 * whole lots still come in `lots:update` when a lot is new to the
 * subscription or its metadata changed.
 */
const fieldsSchema = z.enum(['all', 'live', 'rows']).default('all');

export const subscriptionSchema = z.union([
  z.object({
    bbox: z
      .tuple([z.number(), z.number(), z.number(), z.number()])
      .refine(isValidBBox, 'bbox must be [minLon, minLat, maxLon, maxLat] in degrees, with minLat <= maxLat'),
    fields: fieldsSchema,
  }),
  z.object({ ids: z.array(lotIdSchema).min(1).max(MAX_SUBSCRIBED_IDS), fields: fieldsSchema }),
]);
export type SubscriptionFields = 'all' | 'live' | 'rows';
export type Subscription = ({ bbox: BBox } | { ids: string[] }) & { fields?: SubscriptionFields };

/**
 * The answer to a subscribe: a snapshot of the subscription's lots (ids of
 * lots not in the catalog are dropped), or an error — `validation_failed`,
 * `unavailable`, or `superseded` when the same socket subscribed again before
 * this one was answered.
 */
export type SubscribeAck = { lots: LotView[] } | { error: { code: string; message: string } };

export interface ClientToServerEvents {
  subscribe: (subscription: Subscription, ack: (answer: SubscribeAck) => void) => void;
}

export interface ServerToClientEvents {
  /** Changed lots of the socket's subscription, coalesced; a lot new to the subscription arrives here too. */
  'lots:update': (lots: LotView[]) => void;
  /** Lots that left the subscription: deleted from the catalog (or moved out of its bbox). */
  'lots:remove': (ids: string[]) => void;
  /** With `fields: "live"`: the live fields of changed lots, coalesced. */
  'lots:live': (lots: LotLive[]) => void;
  /** With `fields: "rows"`: the live fields of changed lots as rows (domain/live-rows.ts reads them), coalesced. */
  'lots:rows': (push: LiveRows) => void;
}
