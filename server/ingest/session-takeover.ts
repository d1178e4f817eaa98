// An instance that stops — killed, crashed, or stopped for good — leaves its
// persistent MQTT sessions on the broker, and Mosquitto (2.0) goes on giving
// those sessions their round-robin share of the shared subscription: the
// messages wait there for an instance that may never come back under that
// client id (and are dropped when the session expires). So every instance in
// a shared group holds a lease on its own sessions (session-registry.ts);
// when a lease runs out, another instance connects with the stopped one's
// client ids, unsubscribes them (nothing more is routed there), ingests what
// they hold — exactly once, as always, through the live store — and closes
// them with a session expiry of 0, so the broker discards them. An owner that
// comes back takes its lease and its session back at any point: the broker
// hands the session to the newer connection, and the drain stops.
// DESIGN.md §3, "An instance that stops".
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, type Subscriptions } from '../domain/events.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { connectionFilters, ingestClientId, pipelineAcks } from './mqtt-client.ts';
import type { RegisteredSession, SessionRegistry } from './session-registry.ts';
import type { MessageHandler } from './transport.ts';

export interface SessionTakeoverOptions {
  registry: SessionRegistry;
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** This instance's MQTT_CLIENT_ID and number of ingest connections. */
  clientId: string;
  connections: number;
  inFlight: number;
  baseTopic: string;
  subscriptions: Subscriptions;
  sharedGroup: string;
  /** Ingest's message handler. */
  handler: MessageHandler;
  log: Logger;
  metrics: Metrics;
  /** How often leases are extended (each lasts the registry's leaseMs). */
  refreshMs?: number;
  /** How often unheld sessions are looked for; one is taken over when seen unheld twice in a row. */
  scanMs?: number;
  /** A drained connection is closed after this long with nothing in flight and nothing new. */
  quietMs?: number;
}

function isStatusTopic(baseTopic: string, topic: string): boolean {
  const parsed = parseTopic(baseTopic, topic);
  return 'kind' in parsed && parsed.kind === 'status';
}

interface Drain {
  clients: MqttClient[];
  aborted: boolean;
}

export class SessionTakeover {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly draining = new Map<string, Drain>();
  /** Sessions seen unheld at the last scan. */
  private unheldBefore = new Set<string>();
  private scanning = false;
  private stopped = false;

  constructor(private readonly options: SessionTakeoverOptions) {}

  async start(): Promise<void> {
    const { registry, clientId, connections } = this.options;
    this.stopped = false;
    await registry.start();
    // Before this instance connects: a peer must not take the session over while we reclaim it.
    await registry.own({ clientId, connections });
    this.timers.push(setInterval(() => void this.refresh(), this.options.refreshMs ?? 2000).unref());
    this.timers.push(setInterval(() => void this.scan(), this.options.scanMs ?? 2500).unref());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const [id, drain] of this.draining) this.abort(id, drain);
    // Our own connections are closed by now (the MQTT part stops first): a peer may drain what is left.
    await this.options.registry.release(this.options.clientId).catch(() => {});
    await this.options.registry.stop();
  }

  private async refresh(): Promise<void> {
    const { registry, clientId, connections, log } = this.options;
    try {
      await registry.own({ clientId, connections });
      for (const [id, drain] of this.draining) if (!(await registry.extend(id))) this.abort(id, drain);
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'could not extend the MQTT session leases (Redis unavailable)');
    }
  }

  private async scan(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const unheld = (await this.options.registry.unheld()).filter((s) => s.clientId !== this.options.clientId && !this.draining.has(s.clientId));
      // Twice in a row: a lease that lapsed while Redis was away is renewed by its owner within one refresh.
      for (const session of unheld) if (this.unheldBefore.has(session.clientId)) void this.drain(session);
      this.unheldBefore = new Set(unheld.map((s) => s.clientId));
    } catch (err) {
      this.options.log.debug({ err: (err as Error).message }, 'could not look for stopped instances (Redis unavailable)');
    } finally {
      this.scanning = false;
    }
  }

  private abort(id: string, drain: Drain): void {
    drain.aborted = true;
    for (const client of drain.clients) client.end(true);
    this.draining.delete(id);
  }

  private async drain(session: RegisteredSession): Promise<void> {
    const { registry, log, metrics } = this.options;
    const { clientId } = session;
    if (this.stopped || !(await registry.take(clientId).catch(() => false))) return;
    const drain: Drain = { clients: [], aborted: false };
    this.draining.set(clientId, drain);
    log.warn({ session: clientId }, 'an instance stopped and its MQTT session is unheld: taking it over to ingest what it holds');
    try {
      const counts = await Promise.all(
        Array.from({ length: session.connections }, (_, i) => this.drainConnection(ingestClientId(clientId, i), i, drain)),
      );
      const messages = counts.reduce((a, b) => a + b, 0);
      if (drain.aborted) {
        log.info({ session: clientId, messages }, 'stopped draining an MQTT session: its owner is back');
        await registry.release(clientId).catch(() => {});
        return;
      }
      await registry.retire(clientId);
      metrics.sessionsDrained.inc();
      metrics.sessionMessagesDrained.inc(messages);
      log.info({ session: clientId, messages }, 'drained and closed the MQTT session of a stopped instance');
    } catch (err) {
      log.error({ session: clientId, err: (err as Error).message }, 'could not drain an MQTT session; another scan will try again');
      await registry.release(clientId).catch(() => {});
    } finally {
      if (this.draining.get(clientId) === drain) this.draining.delete(clientId);
    }
  }

  /**
   * Connects with one of the stopped instance's client ids, unsubscribes it,
   * ingests what its session holds and closes it for good. Resolves with the
   * number of messages it held; marks the drain aborted if the connection
   * closes first (the owner took it back, or the broker went away).
   */
  private drainConnection(clientId: string, index: number, drain: Drain): Promise<number> {
    const { options } = this;
    return new Promise((resolve) => {
      const client = mqtt.connect(options.url, {
        clientId,
        clean: false,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: options.inFlight },
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        resubscribe: false,
        log: () => {},
        ...(options.username ? { username: options.username } : {}),
        ...(options.password ? { password: options.password } : {}),
      });
      drain.clients.push(client);
      let messages = 0;
      let busy = 0;
      let lastAt = Date.now();
      let unsubscribed = false;
      let done = false;
      const handler: MessageHandler = async (topic, payload) => {
        messages++;
        lastAt = Date.now();
        // Every instance has every status already (plain subscriptions), in order; an old one replayed would undo a newer one.
        if (isStatusTopic(options.baseTopic, topic)) return {};
        busy++;
        try {
          return await options.handler(topic, payload);
        } finally {
          busy--;
          lastAt = Date.now();
        }
      };
      pipelineAcks(client, handler, options.inFlight, () => client.end(true));
      const finish = () => {
        done = true;
        clearInterval(watch);
        // A session expiry of 0 on DISCONNECT: the broker discards the session.
        client.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } }, () => resolve(messages));
      };
      const watch = setInterval(() => {
        if (unsubscribed && busy === 0 && Date.now() - lastAt >= (options.quietMs ?? 2000)) finish();
      }, 100);
      client.on('connect', () => {
        const { wanted, unwanted } = connectionFilters(options.subscriptions, options.sharedGroup, index);
        client.unsubscribe([...wanted, ...unwanted], () => {
          unsubscribed = true;
          lastAt = Date.now();
        });
      });
      client.on('error', (err) => options.log.warn({ session: clientId, err: err.message }, 'MQTT error while draining a session'));
      client.on('close', () => {
        if (done) return;
        clearInterval(watch);
        if (!drain.aborted) {
          drain.aborted = true;
          for (const other of drain.clients) if (other !== client) other.end(true);
        }
        resolve(messages);
      });
    });
  }
}
