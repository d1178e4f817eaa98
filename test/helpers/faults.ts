// What the failure tests share: the service as a child process (so it can be
// killed with SIGKILL), a gate counter that keeps its MQTT session, a paced
// burst of gate events with seq, and the lot's occupancy read straight from
// Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { installed, postgresBinDir, PrivatePostgres } from './private-services.ts';
import { uniqueName } from './services.ts';

/** Skips the suite when a program is missing (fails instead under CI=true). */
export function requirePrograms(ctx: Mocha.Context, programs: string[], hint = 'apt-get install -y redis-server mosquitto'): void {
  const missing = programs.filter((p) => !installed(p));
  if (missing.length === 0) return;
  const reason = `${missing.join(' and ')} not installed (${hint})`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason}; CI=true requires it`);
  console.warn(`      ⚠ skipped: ${reason}`);
  ctx.skip();
}

/** A gate counter that keeps its session and resends what the broker has not acknowledged. */
export async function gateCounter(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: uniqueName('gate-counter-'), clean: false, reconnectPeriod: 100, connectTimeout: 5000 });
}

export interface Burst {
  /** Resolves when the broker has acknowledged every event. */
  sent: Promise<void>;
  expected: number;
}

export interface BurstOptions {
  lot: string;
  /** The live capacity the calibrating count sets (room for every entry). */
  capacity: number;
  /** Every n-th event is an exit (0: entries only, so the occupancy is the number of events applied). */
  exitEvery?: number;
  /**
   * Gate counters taking turns (default 2, "north" and "south"), each with
   * its own dense seq. The store remembers the last 1024 seqs of a gate: an
   * event held back behind more than that many of its gate's later ones is
   * ignored (DESIGN.md §3), so a burst that is to survive a long hold-up
   * spreads over more gates.
   */
  gates?: number;
}

/**
 * A calibrating count of 0, then `n` gate events (two gates, each with its
 * own increasing seq), sent in small batches on a steady pace so a failure
 * lands in the middle of the stream.
 */
export async function burst(client: MqttClient, base: string, n: number, t0: number, options: BurstOptions): Promise<Burst> {
  const { lot, capacity, exitEvery = 5, gates = 2 } = options;
  const gateName = (i: number) => (gates === 2 ? (i % 2 ? 'north' : 'south') : `g${i % gates}`);
  const seqs = new Map<string, number>();
  await client.publishAsync(`${base}/lots/${lot}/count`, JSON.stringify({ occupied: 0, capacity, ts: t0, seq: 1 }), { qos: 1 });
  let expected = 0;
  const acks: Promise<unknown>[] = [];
  const sent = (async () => {
    for (let i = 1; i <= n; i++) {
      const exit = exitEvery > 0 && i % exitEvery === 0;
      expected += exit ? -1 : 1;
      const gate = gateName(i);
      const seq = (seqs.get(gate) ?? 0) + 1;
      seqs.set(gate, seq);
      const payload = { event: exit ? 'exit' : 'entry', gate, ts: t0 + i, seq };
      acks.push(client.publishAsync(`${base}/lots/${lot}/gate`, JSON.stringify(payload), { qos: 1 }));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await Promise.all(acks);
  })();
  return { sent, expected: exitEvery > 0 ? n - 2 * Math.floor(n / exitEvery) : n };
}

/** A lot's occupancy, straight from Redis. */
export async function occupiedIn(redis: Redis, prefix: string, lot: string): Promise<number> {
  return Number((await redis.hget(`${prefix}{lot:${lot}}`, 'occ').catch(() => null)) ?? 0);
}

export interface ServiceChild {
  child: ChildProcess;
  /** Resolves with the HTTP URL once the service says it is up. */
  ready: Promise<string>;
  output: () => string;
}

/** `npm start` as a child process, so it can be killed with SIGKILL. */
export function startService(env: Record<string, string>): ServiceChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), 60_000);
    child.stdout!.on('data', (d) => {
      output += d;
      const match = /the map is at (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}):\n${output}`));
    });
  });
  ready.catch(() => {});
  return { child, ready, output: () => output };
}

/** Sends a signal and waits until the process has exited. */
export function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A Prometheus counter's value (summed over label sets matching `labels`), from a service's /metrics. */
export async function metricValue(httpUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The fault suites' shared fixtures, declared inside a `describe`: a private
 * PostgreSQL for the suite (skipped without redis-server, mosquitto and
 * PostgreSQL's programs), and `later(cleanup)`, run after each test in reverse.
 */
export function faultSuite(): { readonly postgres: PrivatePostgres; later: (cleanup: () => Promise<unknown>) => void } {
  let postgres: PrivatePostgres | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  before(async function () {
    requirePrograms(this, ['redis-server', 'mosquitto']);
    if (!postgresBinDir()) requirePrograms(this, ['initdb', 'postgres'], 'apt-get install -y postgresql');
    postgres = new PrivatePostgres();
    await postgres.start();
  });
  after(async () => postgres?.remove());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  return {
    get postgres() {
      if (!postgres) throw new Error('the private PostgreSQL is not started yet');
      return postgres;
    },
    later: (cleanup) => void cleanups.push(cleanup),
  };
}
