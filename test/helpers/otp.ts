// What OpenTripPlanner makes of a ParkAPI v1 lot: its ParkAPIUpdater's
// parseElement (with CarParkAPIUpdater's capacity and availability fields,
// OTP 2.x, ext/vehicleparking/parkapi/), transcribed with Jackson's readings:
// `get("state").asText()` fails when there is no state; a field is read only
// when the key is present (`has`), and then `asInt()` makes a JSON null 0;
// `path("coords").path("lng").asDouble()` is 0.0 when missing.

type JsonNode = Record<string, unknown>;

export interface OtpSpaces {
  carSpaces: number | null;
  wheelchairAccessibleCarSpaces: number | null;
}

export interface OtpVehicleParking {
  id: string;
  name: string;
  state: 'OPERATIONAL' | 'CLOSED';
  x: number;
  y: number;
  capacity: OtpSpaces | null;
  availability: OtpSpaces | null;
  carPlaces: boolean;
  wheelchairAccessibleCarPlaces: boolean;
  tags: string[];
}

/** Jackson's JsonNode.asInt(): numbers truncated, numeric text parsed, anything else (null too) 0. */
const asInt = (value: unknown): number => {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return 0;
};
const asDouble = (value: unknown): number => (typeof value === 'number' ? value : 0);
const asText = (value: unknown): string => (value === null ? 'null' : typeof value === 'object' ? '' : String(value));

function spaces(node: JsonNode, car: string, wheelchair: string): OtpSpaces | null {
  const read = (field: string) => (field in node ? asInt(node[field]) : null);
  const carSpaces = read(car);
  const wheelchairAccessibleCarSpaces = read(wheelchair);
  if (carSpaces === null && wheelchairAccessibleCarSpaces === null) return null;
  return { carSpaces, wheelchairAccessibleCarSpaces };
}

export function otpParse(node: JsonNode): OtpVehicleParking {
  if (!('state' in node) || node.state === undefined) throw new Error(`NullPointerException: lot ${String(node.id)} has no "state"`);
  const capacity = spaces(node, 'total', 'total:disabled');
  const availability = spaces(node, 'free', 'free:disabled');
  const coords = (node.coords ?? {}) as JsonNode;
  const tags = ['lot_type', 'address', 'forecast', 'state'].filter((tag) => tag in node).map((tag) => `${tag}:${asText(node[tag])}`);
  const has = (n: number | null | undefined) => n !== null && n !== undefined && n > 0;
  return {
    id: 'id' in node ? asText(node.id) : `${JSON.stringify(node.name)}/${asDouble(coords.lng)}/${asDouble(coords.lat)}`,
    name: asText(node.name),
    state: asText(node.state) === 'closed' ? 'CLOSED' : 'OPERATIONAL',
    x: asDouble(coords.lng),
    y: asDouble(coords.lat),
    capacity,
    availability,
    carPlaces: capacity ? has(capacity.carSpaces) : true,
    wheelchairAccessibleCarPlaces: capacity ? has(capacity.wheelchairAccessibleCarSpaces) : false,
    tags,
  };
}
