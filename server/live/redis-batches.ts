// Batches for the Redis live store (DESIGN.md §2, "Batches"): the events
// that arrive in one turn of the event loop — every ingest connection's —
// go to Redis as one call of lua/apply-batch.lua, which runs each event's own
// script (apply-count/-gate/-space/-heartbeat.lua, put in front of it as
// functions) in arrival order. Each event still gets its own result, as if
// its script had run alone; the batch saves the calls, the reads of each
// lot's hash and the feed messages that one call per event would cost.
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { ApplyOutcome, ApplyResult, LiveState } from '../domain/live.ts';
import { isCluster, type RedisClient } from '../redis.ts';
import { LiveStoreRefusal } from './store.ts';

/** The event scripts apply-batch.lua runs as functions, by the kind code each event in a batch carries. */
export const BATCHED_SCRIPTS = { c: 'apply-count', g: 'apply-gate', s: 'apply-space', h: 'apply-heartbeat' } as const;
export type BatchKind = keyof typeof BATCHED_SCRIPTS;

/** The most events one batch call carries (a call's keys and arguments stay small; Redis answers others meanwhile). */
const BATCH_MAX = 256;

/** apply-batch.lua's source: the shared prelude, the event scripts as functions, the batch itself. */
export function batchSource(lib: string, lua: (file: string) => string): string {
  const functions = Object.entries(BATCHED_SCRIPTS).map(([kind, file]) => `APPLY.${kind} = function(KEYS, ARGV)\n${lua(file)}\nend`);
  return `${lib}\nlocal APPLY = {}\n${functions.join('\n')}\n${lua('apply-batch')}`;
}

/**
 * A Redis error answer that starts with ERR (a script failed on this input)
 * is a refusal; everything else — no connection, LOADING, BUSY, READONLY,
 * MASTERDOWN, OOM… — passes on as is, and ingestion waits and retries.
 */
export function refusalOr(err: unknown): unknown {
  const error = err as Error;
  if (error?.name === 'ReplyError' && /^ERR /.test(error.message)) return new LiveStoreRefusal(`Redis refused the event: ${error.message}`, { cause: err });
  return err;
}

/**
 * An event of a batch that failed in its script: a Lua error or an ERR answer
 * (this input cannot be applied) is a refusal; any other error code (OOM,
 * READONLY…) is an outage of the moment, retried.
 */
function batchFailure(message: string): Error {
  if (/^[A-Z]+ /.test(message) && !message.startsWith('ERR ')) return new Error(`Redis: ${message}`);
  return new LiveStoreRefusal(`Redis refused the event: ${message.startsWith('ERR ') ? message : `ERR ${message}`}`);
}

/** One event waiting for its batch: its script's keys and arguments, and who waits for the result. */
interface BatchedEvent {
  kind: BatchKind;
  keys: string[];
  args: string[];
  resolve: (result: ApplyResult) => void;
  reject: (err: unknown) => void;
}

export interface RedisBatchesOptions {
  /** The batch script's source (batchSource). */
  source: string;
  /** The change feed's channel: the batch announces its lots there, in one message. */
  channel: string;
  /** Turns the state values of a script's reply into a state. */
  decode: (values: readonly string[]) => Required<LiveState>;
}

export class RedisBatches {
  private queued: BatchedEvent[] = [];
  private scheduled = false;
  private readonly sha: string;

  constructor(private readonly options: RedisBatchesOptions) {
    this.sha = createHash('sha1').update(options.source).digest('hex');
  }

  /**
   * Queues an event for the next batch call; the batch goes out at the end of
   * this turn of the event loop, so the events of every message read in it
   * share one call.
   */
  add(client: RedisClient, kind: BatchKind, keys: string[], args: string[]): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ kind, keys, args, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.sendAll(client));
      }
    });
  }

  private sendAll(client: RedisClient): void {
    this.scheduled = false;
    const events = this.queued;
    this.queued = [];
    if (!isCluster(client)) {
      for (let i = 0; i < events.length; i += BATCH_MAX) void this.send(client, events.slice(i, i + BATCH_MAX));
      return;
    }
    // A script's keys must share a slot on a cluster: one batch per slot (each lot's keys share one).
    const bySlot = new Map<number, BatchedEvent[]>();
    for (const event of events) {
      const slot = calculateSlot(event.keys[0]!);
      const group = bySlot.get(slot);
      if (group) group.push(event);
      else bySlot.set(slot, [event]);
    }
    for (const group of bySlot.values()) {
      for (let i = 0; i < group.length; i += BATCH_MAX) void this.send(client, group.slice(i, i + BATCH_MAX));
    }
  }

  private async send(client: RedisClient, events: BatchedEvent[]): Promise<void> {
    const keys: string[] = [];
    const args: string[] = [this.options.channel];
    for (const event of events) {
      keys.push(...event.keys);
      args.push(event.kind, String(event.keys.length), String(event.args.length), ...event.args);
    }
    let reply: string[];
    try {
      reply = await this.evaluate(client, keys, args);
    } catch (err) {
      const failed = refusalOr(err);
      for (const event of events) event.reject(failed);
      return;
    }
    events.forEach((event, i) => {
      const [outcome, ...values] = (reply[i] ?? '').split('|');
      if (outcome === 'error') event.reject(batchFailure(values.join('|')));
      else event.resolve({ outcome: outcome as ApplyOutcome, state: this.options.decode(values) });
    });
  }

  /**
   * EVALSHA, and EVAL when that node has not loaded the script yet. Called as
   * EVALSHA itself (not as a custom command, whose key count varies) so that
   * auto-pipelining on a cluster groups it by its first key.
   */
  private async evaluate(client: RedisClient, keys: string[], args: string[]): Promise<string[]> {
    try {
      return (await client.evalsha(this.sha, keys.length, ...keys, ...args)) as string[];
    } catch (err) {
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return (await client.eval(this.options.source, keys.length, ...keys, ...args)) as string[];
    }
  }
}
