// A simulated car-park gateway: plausible occupancy counts for a set of lots,
// published over MQTT as the contract says (DESIGN.md §3). Used by
// `npm run simulate`, `npm run demo` and the tests.
import mqtt, { type MqttClient } from 'mqtt';
import type { LotMeta } from '../server/domain/lot.ts';

export type SimLot = Pick<LotMeta, 'id' | 'capacity'>;

export interface SimulatorOptions {
  url: string;
  lots: readonly SimLot[];
  /** Messages per second, across all lots. */
  rate: number;
  baseTopic?: string;
  clientId?: string;
  username?: string;
  password?: string;
  /** A source of randomness in [0, 1) (tests pass a seeded one). */
  random?: () => number;
  onPublish?: (topic: string, payload: object) => void;
}

interface LotModel {
  lot: SimLot;
  occupied: number;
  /** The share of spaces this lot tends towards; drifts slowly. */
  target: number;
  seq: number;
}

export class GatewaySimulator {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly models: LotModel[];
  private readonly random: () => number;
  private next = 0;
  published = 0;
  failed = 0;

  constructor(private readonly options: SimulatorOptions) {
    if (options.lots.length === 0) throw new Error('the simulator needs at least one lot');
    if (!(options.rate > 0)) throw new Error('--rate must be a positive number of messages per second');
    this.random = options.random ?? Math.random;
    this.models = options.lots.map((lot) => {
      const target = 0.35 + this.random() * 0.6;
      return { lot, target, occupied: Math.round(lot.capacity * target), seq: 0 };
    });
  }

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.options.url, {
      clientId: this.options.clientId ?? `kongwei-sim-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 1000,
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    });
    // Send in small batches on a steady tick so high rates stay smooth.
    const tickMs = Math.max(10, Math.min(1000, 1000 / this.options.rate));
    const perTick = (this.options.rate * tickMs) / 1000;
    let budget = 0;
    this.timer = setInterval(() => {
      budget += perTick;
      for (; budget >= 1; budget--) this.publishOne();
    }, tickMs);
  }

  /** One step of one lot's random walk, published as an absolute count. */
  private publishOne(): void {
    const client = this.client;
    if (!client) return;
    const model = this.models[this.next++ % this.models.length]!;
    const { lot } = model;
    model.target = Math.min(0.98, Math.max(0.05, model.target + (this.random() - 0.5) * 0.04));
    const pull = Math.sign(lot.capacity * model.target - model.occupied);
    const step = Math.round((this.random() - 0.5) * Math.max(2, lot.capacity * 0.04)) + pull;
    model.occupied = Math.min(lot.capacity, Math.max(0, model.occupied + step));
    model.seq += 1;
    const topic = `${this.options.baseTopic ?? 'parking'}/lots/${lot.id}/count`;
    const payload = { occupied: model.occupied, ts: Date.now(), seq: model.seq };
    client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      if (err) this.failed++;
      else this.published++;
    });
    this.options.onPublish?.(topic, payload);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client?.endAsync();
  }
}
