// The production live store: one Redis hash per lot, changed only by Lua
// scripts that check, apply and announce a change in one atomic step.
//
// Keys are hash-tagged per lot (`<prefix>{lot:<id>}`) so every key of a lot
// lands in one Redis Cluster slot. The offline queue is off: while Redis is
// down, commands fail at once and the ingest stage pauses (it retries, and
// acknowledges nothing) instead of piling events up in memory.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { ApplyOutcome, ApplyResult, CountEvent, LiveChange, LiveState } from '../domain/live.ts';
import type { DependencyHealth, LiveStore, LiveStoreEvents } from './store.ts';

const APPLY_COUNT_LUA = readFileSync(new URL('./lua/apply-count.lua', import.meta.url), 'utf8');
const SET_CAPACITY_LUA = readFileSync(new URL('./lua/set-capacity.lua', import.meta.url), 'utf8');

/** The hash fields, in the order scripts return them and the feed carries them. */
const FIELDS = ['cap', 'occ', 'ts', 'seq', 'clamped', 'rcv'] as const;

type ApplyCountCommand = (
  key: string,
  lotId: string,
  lotCapacity: string,
  ts: string,
  seq: string,
  occupied: string,
  free: string,
  capacity: string,
  receivedAt: string,
  channel: string,
) => Promise<string[]>;

export interface RedisLiveStoreOptions {
  url: string;
  keyPrefix: string;
  /** Called when the connection drops or comes back, for logs and health. */
  onConnectionChange?: (up: boolean, detail?: string) => void;
}

const num = (v: string | null | undefined): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/** Turns the script's and the feed's field values back into a LiveState. */
export function decodeState(values: readonly (string | null | undefined)[]): LiveState {
  const [cap, occ, ts, seq, clamped, rcv] = values;
  return {
    capacity: num(cap) ?? 0,
    occupied: num(occ),
    ts: num(ts),
    seq: num(seq),
    clamped: clamped === '1',
    receivedAt: num(rcv),
  };
}

export class RedisLiveStore extends EventEmitter<LiveStoreEvents> implements LiveStore {
  readonly kind = 'redis' as const;
  private redis: Redis | undefined;
  private subscriber: Redis | undefined;
  private readonly channel: string;
  private lastError: string | undefined;
  private stopping = false;

  constructor(private readonly options: RedisLiveStoreOptions) {
    super();
    this.channel = `${options.keyPrefix}changes`;
  }

  keyOf(lotId: string): string {
    return `${this.options.keyPrefix}{lot:${lotId}}`;
  }

  async start(): Promise<void> {
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    const redis = new Redis(this.options.url, { ...common, enableAutoPipelining: true });
    redis.defineCommand('kwApplyCount', { numberOfKeys: 1, lua: APPLY_COUNT_LUA });
    redis.defineCommand('kwSetCapacity', { numberOfKeys: 1, lua: SET_CAPACITY_LUA });
    redis.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    redis.on('ready', () => {
      this.lastError = undefined;
      this.options.onConnectionChange?.(true);
    });
    redis.on('close', () => {
      if (!this.stopping) this.options.onConnectionChange?.(false, this.lastError);
    });
    this.redis = redis;

    // The subscriber needs its offline queue: ioredis re-sends SUBSCRIBE
    // through it after a reconnect.
    const subscriber = new Redis(this.options.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    let readyBefore = false;
    subscriber.on('ready', () => {
      // Changes published while the feed was down were missed: ask readers to reload.
      if (readyBefore) this.emit('resync');
      readyBefore = true;
    });
    subscriber.on('message', (_channel: string, message: string) => this.onFeedMessage(message));
    this.subscriber = subscriber;

    await redis.connect();
    await subscriber.connect();
    await subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.removeAllListeners();
    await Promise.allSettled([this.subscriber?.quit(), this.redis?.quit()]);
    this.subscriber?.disconnect();
    this.redis?.disconnect();
  }

  private onFeedMessage(message: string): void {
    // id|cap|occ|ts|seq|clamped|rcv — plain strings, so 13-digit timestamps
    // and large seq values keep every digit (cjson would round them).
    const [id, ...values] = message.split('|');
    if (!id || values.length !== FIELDS.length) return;
    const change: LiveChange = { id, ...decodeState(values) };
    this.emit('change', [change]);
  }

  private get client(): Redis {
    if (!this.redis) throw new Error('RedisLiveStore used before start()');
    return this.redis;
  }

  async applyCount(event: CountEvent, lotCapacity: number): Promise<ApplyResult> {
    const str = (v: number | null) => (v === null ? '' : String(v));
    const command = (this.client as unknown as { kwApplyCount: ApplyCountCommand }).kwApplyCount;
    const reply = await command.call(
      this.client,
      this.keyOf(event.lotId),
      event.lotId,
      String(lotCapacity),
      String(event.ts),
      str(event.seq),
      str(event.occupied),
      str(event.free),
      str(event.capacity),
      String(event.receivedAt),
      this.channel,
    );
    const [outcome, ...values] = reply;
    return { outcome: outcome as ApplyOutcome, state: decodeState(values) };
  }

  async getMany(ids: readonly string[]): Promise<Map<string, LiveState>> {
    const found = new Map<string, LiveState>();
    if (ids.length === 0) return found;
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hmget(this.keyOf(id), ...FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, values], i) => {
      if (err) throw err;
      const row = values as (string | null)[];
      if (row[0] !== null) found.set(ids[i]!, decodeState(row));
    });
    return found;
  }

  async deleteLot(id: string): Promise<void> {
    await this.client.del(this.keyOf(id));
  }

  async setCapacity(id: string, capacity: number): Promise<LiveState | null> {
    const command = (this.client as unknown as { kwSetCapacity: (key: string, id: string, capacity: string, channel: string) => Promise<string[]> }).kwSetCapacity;
    const reply = await command.call(this.client, this.keyOf(id), id, String(capacity), this.channel);
    return reply.length === 0 ? null : decodeState(reply);
  }

  async health(): Promise<DependencyHealth> {
    try {
      await this.client.ping();
      return { ok: true, kind: 'redis' };
    } catch (err) {
      return { ok: false, kind: 'redis', detail: this.lastError ?? (err as Error).message };
    }
  }
}
