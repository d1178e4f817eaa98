// The embedded broker's limits on what a client can make it hold (DESIGN.md
// §3, "Limits"). aedes buffers a whole packet before it looks at it and has no
// packet-size limit, so a client that announced a 100 MB CONNECT held 100 MB.
// Here every connection goes through a guard that reads MQTT's fixed headers
// as the bytes arrive — the packet type and its announced length, never the
// body — and closes the connection the moment a packet announces more than it
// may have; until its CONNECT is accepted a connection may send only a CONNECT,
// of bounded size, within a deadline. Connections per address are counted, and
// failed authentications per address are throttled with a token bucket.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export interface BrokerLimits {
  /** Largest packet, as announced in its fixed header (MQTT_MAX_PACKET_BYTES). */
  maxPacketBytes: number;
  /** Bytes read before the CONNECT is accepted, the CONNECT included (MQTT_MAX_CONNECT_BYTES). */
  maxConnectBytes: number;
  /** From the TCP connection to the CONNACK (MQTT_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  maxConnectionsPerIp: number;
  /** Failed authentications per minute and address answered at once (MQTT_AUTH_FAILURES_PER_MINUTE). */
  authFailuresPerMinute: number;
}

const CONNECT = 1;
/** A remaining length takes at most four bytes (MQTT 3.1.1 §2.2.3). */
const MAX_LENGTH_BYTES = 4;

/**
 * Follows packet boundaries through a byte stream, reading only fixed headers:
 * O(packets) per chunk, nothing copied or kept.
 */
export class PacketBoundaries {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private packets = 0;

  constructor(private readonly limits: Pick<BrokerLimits, 'maxPacketBytes' | 'maxConnectBytes'>) {}

  /** Why the connection must close, or undefined while every packet keeps to the limits. */
  scan(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        const type = chunk[i++]! >> 4;
        if (this.packets === 0 && type !== CONNECT) return 'the first packet is not a CONNECT';
        this.packets++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes === MAX_LENGTH_BYTES) return 'a malformed packet length';
          continue;
        }
        const limit = this.packets === 1 ? Math.min(this.limits.maxConnectBytes, this.limits.maxPacketBytes) : this.limits.maxPacketBytes;
        if (this.length > limit) return `a ${this.packets === 1 ? 'CONNECT' : 'packet'} of ${this.length} bytes (at most ${limit})`;
        this.remaining = this.length;
        this.state = this.length === 0 ? 'type' : 'body';
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return undefined;
  }
}

/**
 * A client's TCP connection as aedes sees it: the same bytes both ways,
 * checked on the way in. Until ready() (the broker sent its CONNACK) at most
 * `maxConnectBytes` are read — more waits in the socket, unread — and the
 * connection is closed when the deadline passes first.
 */
export class GuardedConnection extends Duplex {
  private readonly boundaries: PacketBoundaries;
  private isReady = false;
  private bytesBeforeReady = 0;
  private held = false;
  private readonly deadline: ReturnType<typeof setTimeout>;

  constructor(
    private readonly socket: Socket,
    /** The client's address, for the per-address limits. */
    readonly ip: string,
    limits: BrokerLimits,
    private readonly onViolation: (reason: string) => void,
  ) {
    super({ allowHalfOpen: false });
    this.boundaries = new PacketBoundaries(limits);
    this.deadline = setTimeout(() => this.violate(`no accepted CONNECT within ${limits.connectTimeoutMs} ms`), limits.connectTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk, limits.maxConnectBytes));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** The broker accepted the CONNECT: read on, with only the packet-size limit. */
  ready(): void {
    this.isReady = true;
    clearTimeout(this.deadline);
    if (this.held) {
      this.held = false;
      this.socket.resume();
    }
  }

  private onData(chunk: Buffer, maxConnectBytes: number): void {
    const problem = this.boundaries.scan(chunk);
    if (problem) return this.violate(problem);
    if (!this.push(chunk)) this.socket.pause();
    if (!this.isReady) {
      this.bytesBeforeReady += chunk.length;
      if (this.bytesBeforeReady >= maxConnectBytes) {
        this.held = true;
        this.socket.pause();
      }
    }
  }

  private violate(reason: string): void {
    if (this.destroyed) return;
    this.onViolation(reason);
    this.socket.destroy();
    this.destroy();
  }

  override _read(): void {
    if (!this.held) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.deadline);
    this.socket.destroy();
    callback(error);
  }
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Open connections per address. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerIp: number) {}

  /** Counts a new connection, or returns false (and counts nothing) when its address has its share already. */
  admit(ip: string): boolean {
    const count = this.open.get(ip) ?? 0;
    if (count >= this.maxPerIp) return false;
    this.open.set(ip, count + 1);
    return true;
  }

  release(ip: string): void {
    const count = (this.open.get(ip) ?? 1) - 1;
    if (count <= 0) this.open.delete(ip);
    else this.open.set(ip, count);
  }

  of(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}

/**
 * Failed authentications per address, as a token bucket: `perMinute` tokens,
 * refilled evenly over a minute. A failure takes a token; without one left, the
 * caller holds its answer back.
 */
export class FailureBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  /** Takes a token for a failure from `ip`: false when its bucket is empty. */
  take(ip: string): boolean {
    const now = this.clock();
    const bucket = this.buckets.get(ip) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.ratePerMs);
    bucket.at = now;
    if (this.buckets.size > 10_000) this.sweep(now);
    this.buckets.set(ip, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets the addresses whose buckets are full again (they would start full anyway). */
  private sweep(now: number): void {
    for (const [ip, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.ratePerMs >= this.perMinute) this.buckets.delete(ip);
    }
  }
}
