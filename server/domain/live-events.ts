// The events the apply rules take (domain/live.ts), as the MQTT contract's
// parser makes them from payloads (domain/events.ts). Pure types.

/** An absolute count for a whole lot, validated (see events.ts). */
export interface CountEvent {
  lotId: string;
  /** Sensor time (epoch ms); the time of receipt when the payload had none. */
  ts: number;
  seq: number | null;
  /** Exactly one of occupied and free is set. */
  occupied: number | null;
  free: number | null;
  /** Capacity reported by the gateway, replacing the effective capacity. */
  capacity: number | null;
  receivedAt: number;
}

/** Vehicles passing one gate: a delta, not an absolute count. */
export interface GateEvent {
  lotId: string;
  gate: string;
  /** +count for an entry, −count for an exit. */
  delta: number;
  ts: number;
  /** Whether `ts` came from the gate counter (false: the time of receipt stands in). */
  sensorTs: boolean;
  seq: number | null;
  receivedAt: number;
}

/** One bay sensor's state. */
export interface SpaceEvent {
  lotId: string;
  spaceId: string;
  occupied: boolean;
  ts: number;
  seq: number | null;
  receivedAt: number;
}

/** "Still alive, nothing changed." */
export interface HeartbeatEvent {
  lotId: string;
  ts: number;
  receivedAt: number;
}

/** A gateway's retained status, or its Last Will. */
export interface GatewayStatusEvent {
  gatewayId: string;
  online: boolean;
  receivedAt: number;
}
