// Private Redis, Mosquitto and PostgreSQL instances for the failure tests and
// the benchmark: each on a free port, with its data in a temporary directory,
// started, killed and restarted by its owner alone (the machine's shared
// services are never touched), and removed afterwards.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { tcpAnswers } from './services.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a program is installed (the failure tests skip without it, or fail under CI=true). */
export function installed(program: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'].some((dir) => existsSync(join(dir, program)));
}

/** A server process we own: start, kill (any signal), start again on the same port and data. */
abstract class PrivateServer {
  readonly dir: string;
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  output = '';

  constructor(private readonly name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `kongwei-${name}-`));
  }

  protected abstract command(): [string, string[]];

  /** Options for the server's process (PostgreSQL: the user it runs as). */
  protected spawnOptions(): SpawnOptions {
    return {};
  }

  /** The running process' id (the benchmark reads its CPU time), or undefined. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Runs before each start (PostgreSQL: creates the cluster the first time). */
  protected prepare(): void {}

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.prepare();
    const [program, args] = this.command();
    const child = spawn(program, args, { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(await tcpAnswers(`tcp://127.0.0.1:${this.port}`, this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.name} did not start on port ${this.port}:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it with a signal (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits until it is gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await this.exited;
  }

  async remove(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Redis with an append-only file synced on every write (a crash loses no
 * acknowledged commit), or, with `durable: false`, in memory only (the benchmark).
 */
export class PrivateRedis extends PrivateServer {
  constructor(private readonly options: { durable?: boolean } = {}) {
    super('redis');
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    return ['redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
      ...((this.options.durable ?? true) ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--dir', this.dir, '--daemonize', 'no',
    ]];
  }
}

/**
 * Mosquitto with no limit on queued messages (the setting the README asks for)
 * and persistence, or, with `durable: false`, without persistence and
 * without a limit on messages in flight (the benchmark).
 */
export class PrivateMosquitto extends PrivateServer {
  constructor(private readonly options: { durable?: boolean } = {}) {
    super('mosquitto');
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    const config = join(this.dir, 'mosquitto.conf');
    writeFileSync(config, [
      `listener ${this.port} 127.0.0.1`,
      'allow_anonymous true',
      ...((this.options.durable ?? true) ? ['persistence true', `persistence_location ${this.dir}/`] : ['persistence false', 'max_inflight_messages 0']),
      'max_queued_messages 0',
      // Tests run as root in CI containers; keep the user so the data directory stays writable.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'));
    return ['mosquitto', ['-c', config]];
  }
}

/** A port that is free, and whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port)) continue;
    const bus = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port + 10_000, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (bus) return port;
  }
}

class ClusterNode extends PrivateServer {
  constructor(port: number) {
    super('redis-cluster');
    this.port = port;
  }

  protected command(): [string, string[]] {
    return ['redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'), '--cluster-node-timeout', '2000',
      '--dir', this.dir, '--daemonize', 'no',
    ]];
  }
}

/**
 * A real Redis Cluster of three masters, each with one replica, on free
 * ports (redis-server --cluster-enabled yes, joined by redis-cli --cluster create).
 */
export class PrivateRedisCluster {
  readonly nodes: ClusterNode[] = [];

  /** `host:port` of every node, for REDIS_CLUSTER_NODES. */
  get addresses(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  async start(): Promise<void> {
    const taken = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      const node = new ClusterNode(port);
      this.nodes.push(node);
      await node.start();
    }
    await run('redis-cli', ['--cluster', 'create', ...this.addresses, '--cluster-replicas', '1', '--cluster-yes']);
    await this.waitUntilOk();
  }

  /** Until every node says cluster_state:ok and knows three masters. */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.map((n) => run('redis-cli', ['-p', String(n.port), 'cluster', 'info']).catch(() => '')));
      if (states.every((s) => /cluster_state:ok/.test(s) && /cluster_size:3/.test(s)) && (await this.topology().catch(() => [])).every((t) => t.replica !== undefined)) {
        return;
      }
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not come up:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ports of the current masters, and of each master's replica. */
  async topology(): Promise<{ master: number; replica: number | undefined }[]> {
    const lines = (await run('redis-cli', ['-p', String(this.nodes[0]!.port), 'cluster', 'nodes'])).trim().split('\n');
    const parsed = lines.map((line) => {
      const [id, address, flags, masterId] = line.split(' ');
      return { id: id!, port: Number(address!.split('@')[0]!.split(':')[1]), master: flags!.includes('master'), masterId: masterId! };
    });
    const masters = parsed.filter((n) => n.master);
    if (masters.length !== 3) throw new Error('the cluster does not know three masters yet');
    return masters.map((m) => ({ master: m.port, replica: parsed.find((r) => !r.master && r.masterId === m.id)?.port }));
  }

  /**
   * Promotes the replica of one master (CLUSTER FAILOVER on the replica: the
   * master stops taking writes, the replica catches up, then takes over), and
   * waits until the cluster is whole again.
   */
  async failover(masterIndex = 0): Promise<{ from: number; to: number }> {
    const { master, replica } = (await this.topology())[masterIndex]!;
    if (replica === undefined) throw new Error(`master ${master} has no replica`);
    // A manual failover gives up when the master and its replica do not agree in time (a busy
    // machine): ask again, as an administrator would, until it has happened.
    const deadline = Date.now() + 30_000;
    let askedAt = 0;
    while (!(await this.topology().catch(() => [])).some((t) => t.master === replica)) {
      if (Date.now() > deadline) throw new Error(`the replica ${replica} of ${master} was not promoted`);
      if (Date.now() - askedAt > 5000) {
        askedAt = Date.now();
        await run('redis-cli', ['-p', String(replica), 'cluster', 'failover']).catch(() => '');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.waitUntilOk();
    return { from: master, to: replica };
  }

  async remove(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.remove()));
  }
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${program} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}
/** Where PostgreSQL's server programs are: on the PATH, or Debian's /usr/lib/postgresql/<version>/bin (the newest). */
export function postgresBinDir(): string | undefined {
  for (const dir of ['/usr/local/bin', '/usr/bin']) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** The `postgres` account's uid and gid, for running the server as root (PostgreSQL refuses to run as root). */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).stdout.trim().split(':');
  if (entry.length < 4) throw new Error('PostgreSQL refuses to run as root, and there is no `postgres` user to run it as');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * A PostgreSQL cluster of its own (initdb in a temporary directory, trust
 * authentication for `postgres` on 127.0.0.1, its socket in that directory),
 * run as the `postgres` user when the tests run as root. Stop it with SIGINT
 * (PostgreSQL's "fast" shutdown: clients are disconnected, then a checkpoint)
 * or SIGQUIT (immediate, a crash).
 */
export class PrivatePostgres extends PrivateServer {
  private readonly bin: string;
  private readonly account = postgresAccount();

  constructor() {
    super('postgres');
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL server programs (initdb, postgres) not found; apt-get install -y postgresql');
    this.bin = bin;
    if (this.account) chownSync(this.dir, this.account.uid, this.account.gid);
  }

  /** The URL of a database in it (`postgres`, the one initdb creates, by default). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** Starts it and waits until it answers queries (it accepts connections a moment before). */
  override async start(): Promise<void> {
    await super.start();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`postgres did not answer on port ${this.port}: ${(err as Error).message}\n${this.output}`);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => {});
      }
    }
  }

  /** A new, empty database in it; its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  protected override prepare(): void {
    if (existsSync(join(this.dataDir, 'PG_VERSION'))) return;
    mkdirSync(this.dataDir, { mode: 0o700 });
    if (this.account) chownSync(this.dataDir, this.account.uid, this.account.gid);
    const init = spawnSync(join(this.bin, 'initdb'), ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      ...this.spawnOptions(),
      encoding: 'utf8',
    });
    if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
  }

  protected override spawnOptions(): SpawnOptions {
    return { ...(this.account ?? {}), cwd: this.dir, env: { ...process.env, LC_ALL: 'C' } };
  }

  protected command(): [string, string[]] {
    return [join(this.bin, 'postgres'), [
      '-D', this.dataDir, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1',
      // A test cluster: no waiting for the disk (a fast shutdown still writes everything out).
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
    ]];
  }
}
