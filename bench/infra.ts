// Infrastructure for the benchmark: a private Mosquitto and Redis (the test
// helpers' own, so the run neither disturbs nor is disturbed by other users
// of the machine's services) and the service as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, PrivateMosquitto, PrivateRedis } from '../test/helpers/private-services.ts';
import { tcpAnswers } from '../test/helpers/services.ts';

export { freePort };

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpAnswers(`tcp://${host}:${port}`, port))) {
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Managed {
  url: string;
  /** The server's process, when the benchmark started it (its CPU time is read from /proc). */
  pid?: number;
  stop(): Promise<void>;
}

/** A private Mosquitto with no queue or in-flight limits, and no persistence: nothing but the broker's own work is measured. */
export async function startMosquitto(): Promise<Managed> {
  const broker = new PrivateMosquitto({ durable: false });
  await broker.start();
  return { url: broker.url, pid: broker.pid, stop: () => broker.remove() };
}

/** A private Redis in memory only. */
export async function startRedis(): Promise<Managed> {
  const redis = new PrivateRedis({ durable: false });
  await redis.start();
  return { url: redis.url, pid: redis.pid, stop: () => redis.remove() };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export interface ServiceProcess {
  httpUrl: string;
  pid: number;
  stop(): Promise<void>;
  /** Resident set size of the service process, in bytes (from /proc). */
  rss(): number;
  /** CPU time the service process has used so far, user + system, in ms (from /proc). */
  cpuMs(): number;
}

/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ). */
const USER_HZ = 100;

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** Starts `server/main.ts` as a child process and waits until it serves. */
export async function startService(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the service exited during start-up (code ${code})`))),
  );
  await Promise.race([waitForPort(port, '127.0.0.1', 60_000), exited]);
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    if (res?.ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => stopChild(child),
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb * 1024;
    },
    cpuMs: () => processCpuMs(child.pid!),
  };
}
