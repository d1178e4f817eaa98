// Private Redis and Mosquitto instances for the failure tests and the
// benchmark: each on a free port, with its data in a temporary directory,
// started, killed and restarted by its owner alone (the machine's shared
// services are never touched), and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const [program, args] = this.command();
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
