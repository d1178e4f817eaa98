// What the parts of the service tell one another (server/bus.ts carries it):
// a lot's metadata changed, a lot's live state changed here, a message was
// refused. Pure types, so every part can name them without importing another.
import type { Rejection } from './events.ts';
import type { LiveState } from './live.ts';
import type { LotMeta } from './lot.ts';

/** A change to the catalog, once it is committed to SQL. */
export type CatalogChange =
  | { kind: 'added'; lot: LotMeta }
  | { kind: 'changed'; lot: LotMeta; previous: LotMeta }
  | { kind: 'removed'; lot: LotMeta };

/** Where a change was made: here (a write through this instance), or on another instance sharing the database. */
export type ChangeOrigin = 'local' | 'peer';

/** A lot whose live state this instance changed, with the state the store committed. */
export interface AppliedLot {
  id: string;
  state: LiveState;
}

/** An MQTT (or other ingest) message refused, with its reason. */
export type RejectedMessage = { status: 'rejected'; topic: string } & Rejection;
