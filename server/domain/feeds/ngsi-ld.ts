// NGSI-LD (ETSI GS CIM 009) entities of the FIWARE Smart Data Models
// dataModel.Parking: one OffStreetParking per lot, one ParkingSpot per bay of
// the lots that have bay sensors (its `refParkingSite` names its lot).
// Normalized (every attribute a Property, GeoProperty or Relationship, live
// ones with `observedAt`) or key-values (options=keyValues). Pure.
import { z } from 'zod';
import type { LotType, LotView } from '../lot.ts';
import { isoSeconds, liveTruth, type LiveTruth } from './truth.ts';

/** The Smart Data Models context of dataModel.Parking, and the NGSI-LD core context. */
export const SMART_DATA_MODELS_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld';
export const NGSI_LD_CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const NGSI_LD_CONTEXT = [SMART_DATA_MODELS_CONTEXT, NGSI_LD_CORE_CONTEXT];
/** The Link header that stands for the @context in an application/json answer. */
export const NGSI_LD_CONTEXT_LINK = `<${SMART_DATA_MODELS_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

export const ngsiTypes = ['OffStreetParking', 'ParkingSpot'] as const;
export type NgsiType = (typeof ngsiTypes)[number];
/** The types' expanded names under the Smart Data Models context, which a client may send instead. */
const expandedType = (type: NgsiType) => `https://smartdatamodels.org/dataModel.Parking/${type}`;

/** A type as a client names it (short or expanded), or undefined for a type Kongwei does not serve. */
export function ngsiTypeOf(name: string): NgsiType | undefined {
  return ngsiTypes.find((type) => name === type || name === expandedType(type));
}

export const offStreetParkingId = (lotId: string) => `urn:ngsi-ld:OffStreetParking:${lotId}`;
export const parkingSpotId = (lotId: string, spaceId: string) => `urn:ngsi-ld:ParkingSpot:${lotId}:${spaceId}`;

const ID = '[a-z0-9][a-z0-9-]{0,63}';
const offStreetParkingIdPattern = new RegExp(`^urn:ngsi-ld:OffStreetParking:(${ID})$`);
const parkingSpotIdPattern = new RegExp(`^urn:ngsi-ld:ParkingSpot:(${ID}):(${ID})$`);

/** What an entity id names: a lot, a lot's bay, or nothing Kongwei could serve. */
export function parseNgsiId(id: string): { type: 'OffStreetParking'; lotId: string } | { type: 'ParkingSpot'; lotId: string; spaceId: string } | undefined {
  const lot = offStreetParkingIdPattern.exec(id);
  if (lot) return { type: 'OffStreetParking', lotId: lot[1]! };
  const spot = parkingSpotIdPattern.exec(id);
  if (spot) return { type: 'ParkingSpot', lotId: spot[1]!, spaceId: spot[2]! };
  return undefined;
}

/** A URI, as NGSI-LD wants every entity id to be (RFC 3986: a scheme, a colon, more). */
export const isUri = (value: string) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(value);

// ---- Error answers (ProblemDetails, RFC 7807, with the NGSI-LD error types) ----

export const ngsiErrorTypes = {
  BadRequestData: 400,
  InvalidRequest: 400,
  ResourceNotFound: 404,
  NotAcceptable: 406,
  OperationNotSupported: 501,
} as const;
export type NgsiErrorType = keyof typeof ngsiErrorTypes;

export const problemDetailsSchema = z.object({ type: z.string(), title: z.string(), detail: z.string() });
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

export function problem(type: NgsiErrorType, title: string, detail: string): { status: number; body: ProblemDetails } {
  return { status: ngsiErrorTypes[type], body: { type: `https://uri.etsi.org/ngsi-ld/errors/${type}`, title, detail } };
}

// ---- Entities ----

export interface BayView {
  spaceId: string;
  occupied: boolean;
  /** The sensor's time of the bay's last state (epoch ms). */
  ts: number;
}

const categoryOf: Record<LotType, string[]> = {
  surface: ['parkingLot'],
  multi_storey: ['parkingGarage'],
  underground: ['underground'],
  on_street: ['other'],
};

/** OffStreetParking `status` (DATEX II values): closed; open, and how full when the count is known. */
function statusOf(lot: LotView, truth: LiveTruth): string[] {
  if (!truth.open) return ['closed'];
  if (truth.free === null) return ['open'];
  return ['open', lot.availability === 'full' ? 'full' : lot.availability === 'almost_full' ? 'almostFull' : 'spacesAvailable'];
}

interface Attribute {
  value: unknown;
  /** Relationship (its value is the other entity's id), GeoProperty, or Property (the default). */
  kind?: 'Relationship' | 'GeoProperty';
  observedAt?: string | null;
}
type Attributes = Record<string, Attribute | undefined>;

export type NgsiEntity = { id: string; type: NgsiType; '@context'?: string[] } & Record<string, unknown>;
export const ngsiEntitySchema = z
  .object({ id: z.string(), type: z.enum(ngsiTypes), '@context': z.array(z.string()).optional() })
  .catchall(z.unknown());

/** Writes the attributes in the requested form; an attribute without a value is left out. */
function entity(id: string, type: NgsiType, attributes: Attributes, keyValues: boolean): NgsiEntity {
  const result: NgsiEntity = { id, type };
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute === undefined || attribute.value === undefined || attribute.value === null) continue;
    if (keyValues) result[name] = attribute.value;
    else if (attribute.kind === 'Relationship') result[name] = { type: 'Relationship', object: attribute.value };
    else {
      const normalized: Record<string, unknown> = { type: attribute.kind ?? 'Property', value: attribute.value };
      if (attribute.observedAt) normalized.observedAt = attribute.observedAt;
      result[name] = normalized;
    }
  }
  return result;
}

const point = (lot: LotView) => ({ type: 'Point', coordinates: [lot.lon, lot.lat] });
const property = (value: unknown, observedAt?: string | null): Attribute => ({ value, observedAt });

export function toOffStreetParking(lot: LotView, options: { keyValues: boolean; sourceUrl: string }): NgsiEntity {
  const truth = liveTruth(lot);
  const observedAt = truth.observedAt && isoSeconds(truth.observedAt);
  const liveOpen = truth.open && truth.free !== null;
  const category = [...categoryOf[lot.type]];
  if (lot.fee === true) category.push('feeCharged');
  if (lot.fee === false) category.push('free');
  if ((lot.capacityDisabled ?? 0) > 0) category.push('forDisabled');
  if ((lot.capacityCharging ?? 0) > 0) category.push('forElectricalCharging');
  return entity(
    offStreetParkingId(lot.id),
    'OffStreetParking',
    {
      name: property(lot.name),
      alternateName: property(lot.nameEn),
      location: { kind: 'GeoProperty', value: point(lot) },
      address: property(lot.address === null ? null : { streetAddress: lot.address }),
      category: property(category),
      allowedVehicleType: property(['car']),
      // The schema wants at least 1: a lot of no spaces says nothing here.
      totalSpotNumber: property(lot.capacity >= 1 ? lot.capacity : null),
      availableSpotNumber: property(truth.free, observedAt),
      occupiedSpotNumber: property(liveOpen ? lot.capacity - truth.free! : null, observedAt),
      occupancy: property(liveOpen && lot.capacity > 0 ? Math.round(((lot.capacity - truth.free!) / lot.capacity) * 1000) / 1000 : null, observedAt),
      occupancyModified: property(observedAt),
      status: property(statusOf(lot, truth), observedAt),
      openingHours: property(lot.openingHours),
      maximumAllowedHeight: property(lot.maxHeightCm === null ? null : lot.maxHeightCm / 100),
      chargeType: property(lot.fee === false ? ['free'] : null),
      source: property(options.sourceUrl),
      dataProvider: property('Kongwei'),
    },
    options.keyValues,
  );
}

/** A bay's status under the lot's truth: closed with the lot, unknown while the lot's data is not live. */
export function bayStatus(lot: LotView, bay: BayView): 'free' | 'occupied' | 'closed' | 'unknown' {
  const truth = liveTruth(lot);
  if (!truth.open) return 'closed';
  if (truth.free === null) return 'unknown';
  return bay.occupied ? 'occupied' : 'free';
}

export function toParkingSpot(lot: LotView, bay: BayView, options: { keyValues: boolean }): NgsiEntity {
  const status = bayStatus(lot, bay);
  return entity(
    parkingSpotId(lot.id, bay.spaceId),
    'ParkingSpot',
    {
      name: property(bay.spaceId),
      // A bay has no position of its own in Kongwei: its lot's.
      location: { kind: 'GeoProperty', value: point(lot) },
      status: property(status, status === 'free' || status === 'occupied' ? isoSeconds(bay.ts) : null),
      category: property([lot.type === 'on_street' ? 'onStreet' : 'offStreet']),
      refParkingSite: { kind: 'Relationship', value: offStreetParkingId(lot.id) },
    },
    options.keyValues,
  );
}

/** The query of GET /ngsi-ld/v1/entities. */
export const ngsiEntitiesQuerySchema = z.object({
  type: z.string().optional(),
  id: z.string().optional(),
  options: z.string().optional(),
  format: z.enum(['normalized', 'keyValues', 'simplified']).optional(),
  limit: z.coerce.number().int().min(0).max(1000).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  count: z.enum(['true', 'false']).optional(),
});
export type NgsiEntitiesQuery = z.output<typeof ngsiEntitiesQuerySchema>;

/** Key-values when asked by `options=keyValues` (or simplified) or `format=keyValues|simplified`. */
export function wantsKeyValues(query: { options?: string | undefined; format?: string | undefined }): boolean {
  const options = (query.options ?? '').split(',').map((o) => o.trim());
  return options.includes('keyValues') || options.includes('simplified') || query.format === 'keyValues' || query.format === 'simplified';
}
