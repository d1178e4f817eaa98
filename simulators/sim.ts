// A simulated car-park gateway: plausible occupancy for a set of lots,
// published over MQTT as the contract says (DESIGN.md §3), as absolute counts,
// gate counters or bay sensors, with faults on demand (duplicates, reordering,
// malformed messages, dropping offline) to exercise the service's rules by
// hand. It announces itself with a retained `online` status and leaves an
// `offline` Last Will. Used by `npm run simulate`, `npm run demo` and the tests.
import mqtt, { type MqttClient } from 'mqtt';
import {
  countTopic, gateTopic, heartbeatTopic, inputMessage, statusTopic, type ContractMessage, type CountPayload, type StatusPayload,
} from '../server/domain/events.ts';
import type { LotMeta } from '../server/domain/lot.ts';

export type SimLot = Pick<LotMeta, 'id' | 'capacity'>;

export const simModes = ['count', 'gate', 'spaces'] as const;
export type SimMode = (typeof simModes)[number];
export const simFaults = ['duplicates', 'reordering', 'malformed', 'offline'] as const;
export type SimFault = (typeof simFaults)[number];

export interface SimulatorOptions {
  url: string;
  lots: readonly SimLot[];
  /** Vehicle movements per second, across all lots. */
  rate: number;
  baseTopic?: string;
  /** The gateway's id: its MQTT client id and its status topic. */
  gatewayId?: string;
  username?: string;
  password?: string;
  /** How occupancy is reported: absolute counts (default), gate counters, or one sensor per bay. */
  mode?: SimMode;
  faults?: readonly SimFault[];
  /** Share of messages a fault applies to (duplicates, reordering, malformed); 0.1 by default. */
  faultRate?: number;
  /** With the offline fault: seconds online between outages, and the length of each. */
  offline?: { everyS: number; forS: number };
  /** A heartbeat for every lot this often, in seconds (default 60). */
  heartbeatS?: number;
  /** A source of randomness in [0, 1) (tests pass a seeded one). */
  random?: () => number;
  onPublish?: (topic: string, payload: string) => void;
}

interface LotModel {
  lot: SimLot;
  /** The truth the gateway reports: vehicles in the lot. */
  occupied: number;
  /** The share of spaces this lot tends towards; drifts slowly. */
  target: number;
  seq: number;
  gateSeq: Map<string, number>;
  bays: boolean[];
  baySeq: number[];
}

type Message = ContractMessage;

const ONLINE = JSON.stringify({ state: 'online' } satisfies StatusPayload);
const OFFLINE = JSON.stringify({ state: 'offline' } satisfies StatusPayload);

const GATES = ['north', 'south'];

export class GatewaySimulator {
  readonly gatewayId: string;
  private client: MqttClient | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly models: LotModel[];
  private readonly random: () => number;
  private readonly mode: SimMode;
  private readonly faults: Set<SimFault>;
  private held: Message | undefined;
  private online = false;
  private next = 0;
  private inflight = 0;
  published = 0;
  failed = 0;
  /** Messages sent twice, held back, malformed on purpose; outages. */
  readonly faultsDone = { duplicates: 0, reordering: 0, malformed: 0, offline: 0 };

  constructor(private readonly options: SimulatorOptions) {
    if (options.lots.length === 0) throw new Error('the simulator needs at least one lot');
    if (!(options.rate > 0)) throw new Error('--rate must be a positive number of movements per second');
    this.random = options.random ?? Math.random;
    this.mode = options.mode ?? 'count';
    this.faults = new Set(options.faults ?? []);
    // With credentials, the gateway is the user: brokers with gateway auth want client id = gateway id.
    this.gatewayId = options.gatewayId ?? options.username ?? `sim-${Math.floor(this.random() * 0xffffffff).toString(16)}`;
    this.models = options.lots.map((lot) => {
      const target = 0.35 + this.random() * 0.6;
      const occupied = Math.round(lot.capacity * target);
      const bays = Array.from({ length: lot.capacity }, (_, i) => i < occupied);
      return { lot, target, occupied, seq: 0, gateSeq: new Map(), bays, baySeq: bays.map(() => 0) };
    });
  }

  private get base(): string {
    return this.options.baseTopic ?? 'parking';
  }

  /** The occupancy the gateway has reported for a lot: what the service should show. */
  occupancyOf(lotId: string): number | undefined {
    return this.models.find((m) => m.lot.id === lotId)?.occupied;
  }

  async start(): Promise<void> {
    await this.connect();
    // The starting state: one count per lot (a gate counter calibrates from it), or every bay.
    for (const model of this.models) {
      if (this.mode === 'spaces') model.bays.forEach((_, bay) => this.sendBay(model, bay));
      else this.send(this.countMessage(model));
    }
    // Send in small batches on a steady tick so high rates stay smooth.
    const tickMs = Math.max(10, Math.min(1000, 1000 / this.options.rate));
    const perTick = (this.options.rate * tickMs) / 1000;
    let budget = 0;
    this.every(tickMs, () => {
      budget += perTick;
      for (; budget >= 1; budget--) this.step();
    });
    this.every((this.options.heartbeatS ?? 60) * 1000, () => {
      for (const model of this.models) this.send(inputMessage(this.base, { kind: 'heartbeat', lotId: model.lot.id }, { ts: Date.now() }));
    });
    if (this.faults.has('offline')) {
      const { everyS, forS } = this.options.offline ?? { everyS: 60, forS: 10 };
      this.every(everyS * 1000, () => void this.dropOffline(forS));
    }
  }

  /** Stops moving, sends what is held back, says goodbye (retained `offline`) and disconnects. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.flush();
    const client = this.client;
    this.online = false;
    if (!client) return;
    // A clean goodbye: the retained status says offline, and no Last Will is needed.
    await client.publishAsync(this.statusTopic, OFFLINE, { qos: 1, retain: true }).catch(() => {});
    await client.endAsync();
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private get statusTopic(): string {
    return statusTopic(this.base, this.gatewayId);
  }

  private async connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.options.url, {
      clientId: this.gatewayId,
      reconnectPeriod: 1000,
      will: { topic: this.statusTopic, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    });
    this.client = client;
    client.on('connect', () => void client.publish(this.statusTopic, ONLINE, { qos: 1, retain: true }));
    await client.publishAsync(this.statusTopic, ONLINE, { qos: 1, retain: true });
    this.online = true;
  }

  /** The offline fault: the gateway drops off the network (the broker publishes its Last Will), then comes back. */
  private async dropOffline(forS: number): Promise<void> {
    const client = this.client;
    if (!client || !this.online) return;
    this.online = false;
    this.faultsDone.offline++;
    client.stream.destroy(); // no DISCONNECT: the broker publishes the Last Will
    await client.endAsync(true).catch(() => {});
    await new Promise((r) => setTimeout(r, forS * 1000));
    if (this.timers.length > 0) await this.connect().catch(() => {});
  }

  /** One vehicle movement (or a few) at one lot, reported in the simulator's mode. */
  private step(): void {
    if (!this.online) return; // nothing moves while the gateway is away, so the truth stays what it reported
    const model = this.models[this.next++ % this.models.length]!;
    const { lot } = model;
    model.target = Math.min(0.98, Math.max(0.05, model.target + (this.random() - 0.5) * 0.04));
    const pull = Math.sign(lot.capacity * model.target - model.occupied);
    const wanted = Math.min(lot.capacity, Math.max(0, model.occupied + Math.round((this.random() - 0.5) * Math.max(2, lot.capacity * 0.04)) + pull));
    if (this.mode === 'count') {
      model.occupied = wanted;
      this.send(this.countMessage(model));
    } else if (this.mode === 'gate') {
      const delta = wanted - model.occupied;
      if (delta === 0) return;
      model.occupied = wanted;
      const gate = GATES[Math.floor(this.random() * GATES.length)]!;
      const seq = (model.gateSeq.get(gate) ?? 0) + 1;
      model.gateSeq.set(gate, seq);
      this.send(inputMessage(this.base, { kind: 'gate', lotId: lot.id }, { event: delta > 0 ? 'entry' : 'exit', count: Math.abs(delta), gate, ts: Date.now(), seq }));
    } else {
      // Flip one bay towards the wanted occupancy.
      const parking = wanted > model.occupied;
      if (wanted === model.occupied) return;
      const candidates = model.bays.flatMap((occupied, bay) => (occupied === parking ? [] : [bay]));
      const bay = candidates[Math.floor(this.random() * candidates.length)];
      if (bay === undefined) return;
      model.bays[bay] = parking;
      model.occupied += parking ? 1 : -1;
      this.sendBay(model, bay);
    }
    if (this.faults.has('malformed') && this.random() < (this.options.faultRate ?? 0.1)) this.sendMalformed(model);
  }

  private countMessage(model: LotModel): Message {
    model.seq += 1;
    return inputMessage(this.base, { kind: 'count', lotId: model.lot.id }, { occupied: model.occupied, ts: Date.now(), seq: model.seq });
  }

  private sendBay(model: LotModel, bay: number): void {
    model.baySeq[bay] = model.baySeq[bay]! + 1;
    const payload = { occupied: model.bays[bay]!, ts: Date.now(), seq: model.baySeq[bay] };
    this.send(inputMessage(this.base, { kind: 'space', lotId: model.lot.id, spaceId: `b-${bay + 1}` }, payload));
  }

  /**
   * The malformed fault: a message the service must reject (and say why on
   * the errors topic). Wrong on purpose, so the payloads that break the
   * contract are written by hand, not typed; the topics are the contract's.
   */
  private sendMalformed(model: LotModel): void {
    const id = model.lot.id;
    const garbage: Message[] = [
      { topic: countTopic(this.base, id), payload: 'occupied=12' }, // malformed_payload: not JSON
      { topic: countTopic(this.base, id), payload: JSON.stringify({ occupied: 'twelve' }) }, // invalid_payload
      { topic: gateTopic(this.base, id), payload: JSON.stringify({ event: 'in', gate: 'north' }) }, // invalid_payload
      // unknown_lot: a valid message for a lot the catalog does not have.
      { topic: countTopic(this.base, 'no-such-lot'), payload: JSON.stringify({ occupied: 1 } satisfies CountPayload) },
      // future_timestamp: valid in form, an hour ahead.
      { topic: countTopic(this.base, id), payload: JSON.stringify({ occupied: 1, ts: Date.now() + 3_600_000 } satisfies CountPayload) },
      // malformed_topic: the contract's shape with an id it refuses (upper case).
      { topic: heartbeatTopic(this.base, id.toUpperCase()), payload: '{}' },
    ];
    this.faultsDone.malformed++;
    this.publish(garbage[Math.floor(this.random() * garbage.length)]!);
  }

  /** Publishes a message through the duplicate and reordering faults. */
  private send(message: Message): void {
    const rate = this.options.faultRate ?? 0.1;
    if (this.faults.has('reordering') && !this.held && this.random() < rate) {
      this.held = message; // sent after the next one
      this.faultsDone.reordering++;
      return;
    }
    this.publish(message);
    if (this.held) {
      this.publish(this.held);
      this.held = undefined;
    }
    if (this.faults.has('duplicates') && this.random() < rate) {
      this.faultsDone.duplicates++;
      this.publish(message); // the same payload again, as a gateway retrying would
    }
  }

  private publish({ topic, payload }: Message): void {
    const client = this.client;
    if (!client || !this.online) return;
    this.inflight++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      this.inflight--;
      if (err) this.failed++;
      else this.published++;
    });
    this.options.onPublish?.(topic, payload);
  }

  /** Sends what the reordering fault holds back and waits until the broker has acknowledged everything. */
  private async flush(timeoutMs = 10_000): Promise<void> {
    if (this.held) {
      this.publish(this.held);
      this.held = undefined;
    }
    const deadline = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
