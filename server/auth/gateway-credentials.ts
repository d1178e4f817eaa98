// Gateway credentials in memory, for everything that checks a gateway: the
// embedded broker (MQTT_AUTH=on, gateway-auth.ts) and HTTP ingest (HTTP Basic).
// Loaded at start and reloaded when gateways change (an operator disabled
// included) or a lot is deleted (its links go with it), and every minute for
// changes made elsewhere, so checking a credential costs no SQL query; a gateway
// the cache does not know (created on another instance) reloads it, at most
// once per few seconds.
//
// Secrets are stored as Mosquitto's PBKDF2 hash (secrets.ts), which costs a
// key derivation per check. Once a secret has been verified, its SHA-256 is
// kept with the entry, and a later request with the same secret is checked
// against that digest (in constant time) instead. That is as safe as the
// derivation for a secret of 256 random bits (the argument for the operators'
// SHA-256 tokens, secrets.ts hashToken), and only ever holds the digest of a
// secret that was right. The digest goes when the stored hash changes or the
// gateway is revoked.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Bus } from '../bus.ts';
import { gatewayTopics, type GatewayTopics } from '../domain/gateway-topics.ts';
import type { Logger } from '../log.ts';
import { verifyGatewaySecret } from './secrets.ts';

export interface GatewayCredentialSource {
  credentials(): Promise<{ id: string; secretHash: string; lotIds: string[] }[]>;
}

interface Entry {
  secretHash: string;
  topics: GatewayTopics;
  /** SHA-256 of the secret last verified against secretHash. */
  verified?: Buffer;
}

export interface GatewayCredentialsOptions {
  baseTopic: string;
  source: GatewayCredentialSource;
  bus?: Bus;
  log: Logger;
  clock?: () => number;
}

const RELOAD_ON_MISS_EVERY_MS = 5000;
/** Changes made elsewhere (the CLI, another instance) are picked up within this; their revoked gateways are dropped. */
const RELOAD_EVERY_MS = 60_000;

const digest = (secret: string | Buffer) => createHash('sha256').update(secret).digest();

export class GatewayCredentials {
  private entries = new Map<string, Entry>();
  private lastMissReload = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void)[] = [];
  private readonly reloadListeners = new Set<(known: ReadonlySet<string>) => void>();
  private reloadTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: GatewayCredentialsOptions) {}

  async start(): Promise<void> {
    const { bus, log } = this.options;
    // Returns the reload, so that an emitAndWait('gateways.changed') waits for it.
    const reload = () => this.reload().catch((err: Error) => log.error({ err: err.message }, 'could not reload gateway credentials'));
    if (bus) {
      this.unsubscribe = [
        bus.on('gateways.changed', reload),
        bus.on('catalog.changed', (change) => change.kind === 'removed' && reload()),
      ];
    }
    await this.reload();
    this.reloadTimer = setInterval(() => void reload(), RELOAD_EVERY_MS);
    this.reloadTimer.unref();
  }

  stop(): void {
    clearInterval(this.reloadTimer);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  /** Called after every reload with the ids of the gateways that still exist (to drop a revoked one's connections). */
  onReload(listener: (known: ReadonlySet<string>) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** Reads every credential afresh. Reloads run one after another, so the last one sees the last change. */
  reload(): Promise<void> {
    const load = async () => {
      const list = await this.options.source.credentials();
      const previous = this.entries;
      this.entries = new Map(
        list.map((c) => {
          const kept = previous.get(c.id);
          const entry: Entry = { secretHash: c.secretHash, topics: gatewayTopics(this.options.baseTopic, c.id, c.lotIds) };
          if (kept?.verified && kept.secretHash === c.secretHash) entry.verified = kept.verified;
          return [c.id, entry];
        }),
      );
      const known = new Set(this.entries.keys());
      for (const listener of this.reloadListeners) listener(known);
    };
    const next = this.reloading.then(load, load);
    this.reloading = next.catch(() => {});
    return next;
  }

  /** What a gateway may publish and subscribe to; undefined for an unknown gateway. */
  topicsOf(gatewayId: string): GatewayTopics | undefined {
    return this.entries.get(gatewayId)?.topics;
  }

  /** Whether `secret` is the gateway's. An unknown gateway reloads the credentials first (at most every few seconds). */
  async verify(gatewayId: string, secret: string | Buffer): Promise<boolean> {
    let entry = this.entries.get(gatewayId);
    if (!entry) {
      // A gateway created a moment ago: the reload its creation started may still be running.
      await this.reloading;
      entry = this.entries.get(gatewayId);
    }
    const now = (this.options.clock ?? Date.now)();
    if (!entry && now - this.lastMissReload > RELOAD_ON_MISS_EVERY_MS) {
      this.lastMissReload = now;
      await this.reload().catch((err: Error) => this.options.log.warn({ err: err.message }, 'could not reload gateway credentials'));
      entry = this.entries.get(gatewayId);
    }
    if (!entry) return false;
    const presented = digest(secret);
    if (entry.verified && timingSafeEqual(entry.verified, presented)) return true;
    if (!(await verifyGatewaySecret(secret, entry.secretHash))) return false;
    // Only for the entry still current: a reload meanwhile may have replaced (or revoked) it.
    if (this.entries.get(gatewayId) === entry) entry.verified = presented;
    return true;
  }
}
