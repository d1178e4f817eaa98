// DATEX II v3 Parking Publication Light, in the JSON that ParkAPI v3 emits
// (ParkenDD/park-api-v3 webapp/public_rest_api/datex2/: datex2_models.py,
// datex2_mapper.py, datex2_schema.py). Pure.
//
// The mapping follows ParkAPI's: `availableSpaces` only when the count is
// known, `numberOfSpaces` always, `isOpenNow` only when the opening state is
// known, attributes without a value left out. `tariffDescription` is an array
// of texts (one per language Kongwei has: Chinese, then English).
import { z } from 'zod';
import type { LotType, LotView } from '../lot.ts';
import { isoSeconds, liveTruth } from './truth.ts';

export const DATEX2_VERSION = '3.4';
export const DATEX2_MODEL_BASE_VERSION = '3';

export const datex2ParkingSiteTypes = [
  'carPark', 'motorwayParking', 'offStreetParkingGround', 'onStreet', 'other', 'restArea', 'specialLocationParking', 'temporaryParking',
] as const;

const siteTypeOf: Record<LotType, (typeof datex2ParkingSiteTypes)[number]> = {
  surface: 'offStreetParkingGround',
  multi_storey: 'carPark',
  underground: 'carPark',
  on_street: 'onStreet',
};

export const datex2ParkingSiteSchema = z.object({
  _id: z.string(),
  type: z.enum(datex2ParkingSiteTypes),
  name: z.string().optional(),
  locationAndDimension: z.object({
    coordinatesForDisplay: z.object({ latitude: z.number(), longitude: z.number() }),
    /** The address, in words. */
    locationDescriptor: z.string().optional(),
  }),
  /** Vacant spaces: 0 for a lot that is not open; absent when not known. */
  availableSpaces: z.number().int().min(0).optional(),
  numberOfSpaces: z.number().int().min(0),
  isOpenNow: z.boolean().optional(),
  /** The time of the count in `availableSpaces`. */
  lastUpdate: z.string().optional(),
  freeParking: z.boolean().optional(),
  tariffDescription: z.array(z.string()).optional(),
  openingTimesDescription: z.array(z.string()).optional(),
});
export type Datex2ParkingSite = z.infer<typeof datex2ParkingSiteSchema>;

export const datex2PublicationSchema = z.object({
  _version: z.literal(DATEX2_VERSION),
  _modelBaseVersion: z.literal(DATEX2_MODEL_BASE_VERSION),
  parkingPublicationLight: z.object({
    name: z.string(),
    lang: z.string(),
    parkingSite: z.array(datex2ParkingSiteSchema),
    /** Single spaces: none published (Kongwei's bays have no position of their own). */
    parkingSpace: z.array(z.never()),
  }),
});
export type Datex2Publication = z.infer<typeof datex2PublicationSchema>;

export function toDatex2ParkingSite(lot: LotView): Datex2ParkingSite {
  const truth = liveTruth(lot);
  const site: Datex2ParkingSite = {
    _id: lot.id,
    type: siteTypeOf[lot.type],
    name: lot.name,
    locationAndDimension: { coordinatesForDisplay: { latitude: lot.lat, longitude: lot.lon } },
    numberOfSpaces: lot.capacity,
  };
  if (lot.address !== null) site.locationAndDimension.locationDescriptor = lot.address;
  if (truth.free !== null) site.availableSpaces = truth.free;
  // Open by status and hours, but with no live data: whether cars get in now is not known.
  if (!truth.open || truth.free !== null) site.isOpenNow = truth.open;
  if (truth.observedAt !== null) site.lastUpdate = isoSeconds(truth.observedAt);
  if (lot.fee !== null) site.freeParking = !lot.fee;
  const tariffs = [lot.priceInfo, lot.priceInfoEn].filter((t): t is string => t !== null);
  if (tariffs.length > 0) site.tariffDescription = tariffs;
  if (lot.openingHours !== null) site.openingTimesDescription = [lot.openingHours];
  return site;
}

export function toDatex2Publication(lots: readonly LotView[], name: string): Datex2Publication {
  return {
    _version: DATEX2_VERSION,
    _modelBaseVersion: DATEX2_MODEL_BASE_VERSION,
    parkingPublicationLight: { name, lang: 'zh', parkingSite: lots.map(toDatex2ParkingSite), parkingSpace: [] },
  };
}
