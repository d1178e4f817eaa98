import http from 'node:http';
// The benchmark's probes: its load generators as child processes (the MQTT
// publisher, the socket clients) and the figures it reads from the service
// (/metrics) and from Redis (INFO).
import { fork } from 'node:child_process';
import { Redis } from 'ioredis';
import type { CrowdCommand, CrowdJob, CrowdMessage } from './crowd.ts';
import { processCpuMs, type ServiceProcess } from './infra.ts';
import { summarize, type LatencySummary } from './latency.ts';
import type { PublisherJob, PublisherResult } from './publisher.ts';
import type { SocketsCommand, SocketsJob, SocketsMessage } from './sockets.ts';

/** Runs one publisher job in a child process (bench/publisher.ts). */
export function runPublisher(job: PublisherJob): Promise<PublisherResult> {
  const child = fork(new URL('./publisher.ts', import.meta.url).pathname, [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve((m as { result: PublisherResult }).result));
    child.once('exit', (code) => code !== 0 && reject(new Error(`the publisher exited with code ${code}`)));
  });
}

/**
 * Starts socket clients in `processes` children (a process of clients is as
 * busy as the service it measures: one per core spreads that load); resolves
 * once every client is connected and subscribed.
 */
export async function startSockets(job: SocketsJob, processes: number, execArgv: string[] = []) {
  const children = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(job.clients / processes) + (i < job.clients % processes ? 1 : 0);
    const c = fork(new URL('./sockets.ts', import.meta.url).pathname, [JSON.stringify({ ...job, clients: share })], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const next = () => new Promise<SocketsMessage>((resolve) => c.once('message', (m) => resolve(m as SocketsMessage)));
    return { c, next };
  });
  const readies = (await Promise.all(children.map((x) => x.next()))) as Extract<SocketsMessage, { type: 'ready' }>[];
  const send = (command: SocketsCommand) => children.forEach(({ c }) => c.send(command));
  return {
    connected: readies.reduce((n, r) => n + r.connected, 0),
    record: () => send({ cmd: 'record' }),
    report: async () => {
      const replies = children.map((x) => x.next());
      send({ cmd: 'report' });
      const reports = (await Promise.all(replies)) as Extract<SocketsMessage, { type: 'report' }>[];
      return { pushes: reports.reduce((n, r) => n + r.pushes, 0) };
    },
    close: async () => {
      await Promise.all(
        children.map(({ c }) => new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.send({ cmd: 'close' } satisfies SocketsCommand);
        })),
      );
    },
  };
}

/** Median and p99 of a figure per push. */
function spreadOf(spreads: number[]): { p50: number; p99: number } {
  const sorted = spreads.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(50), p99: at(99) };
}

/**
 * Starts the latency phase's crowd (bench/crowd.ts) in `processes` children;
 * resolves once every client is connected and subscribed. `report` hands them
 * the events published and sums what they saw.
 */
export async function startCrowd(job: CrowdJob, processes: number, execArgv: string[] = []) {
  const children = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(job.clients / processes) + (i < job.clients % processes ? 1 : 0);
    const c = fork(new URL('./crowd.ts', import.meta.url).pathname, [JSON.stringify({ ...job, clients: share } satisfies CrowdJob)], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const next = () => new Promise<CrowdMessage>((resolve) => c.once('message', (m) => resolve(m as CrowdMessage)));
    return { c, next };
  });
  const readies = (await Promise.all(children.map((x) => x.next()))) as Extract<CrowdMessage, { type: 'ready' }>[];
  const send = (command: CrowdCommand) => children.forEach(({ c }) => c.send(command));
  return {
    connected: readies.reduce((n, r) => n + r.connected, 0),
    failed: readies.reduce((n, r) => n + r.failed, 0),
    /** CPU time the crowd's processes have used so far, in ms. */
    cpuMs: () => children.reduce((ms, { c }) => ms + processCpuMs(c.pid!), 0),
    record: () => send({ cmd: 'record' }),
    /**
     * Waits until every client has had the newest push and none came for `quietMs`
     * (what was published has all gone out), or `timeoutMs`; resolves how long it waited.
     */
    settle: async (quietMs: number, timeoutMs: number): Promise<number> => {
      const start = Date.now();
      for (;;) {
        const replies = children.map((x) => x.next());
        send({ cmd: 'progress' });
        const states = (await Promise.all(replies)) as Extract<CrowdMessage, { type: 'progress' }>[];
        if (states.every((s) => s.behind === 0 && s.quietMs >= quietMs) || Date.now() - start > timeoutMs) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    report: async (events: [string, number][]): Promise<LatencySummary & { pushes: number; frames: number; bytes: number; spreadMs: { p50: number; p99: number }; newestAgeMs: { p50: number; p99: number }; cpuMs: number }> => {
      const replies = children.map((x) => x.next());
      send({ cmd: 'report', events });
      const reports = (await Promise.all(replies)) as Extract<CrowdMessage, { type: 'report' }>[];
      return {
        ...summarize(events.length, reports.map((r) => r.counts)),
        pushes: reports.reduce((n, r) => n + r.pushes, 0),
        bytes: reports.reduce((n, r) => n + r.bytes, 0),
        spreadMs: spreadOf(reports.flatMap((r) => r.spreads)),
        newestAgeMs: spreadOf(reports.flatMap((r) => r.ages)),
        frames: Math.max(...reports.map((r) => r.frames)),
        cpuMs: reports.reduce((n, r) => n + r.cpuMs, 0),
      };
    },
    close: async () => {
      await Promise.all(
        children.map(({ c }) => new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.send({ cmd: 'close' } satisfies CrowdCommand);
        })),
      );
    },
  };
}

/** The sum of a Prometheus metric's series on the service's /metrics. */
export async function metricSum(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The CPU time these Redis servers have used so far (INFO cpu: used_cpu_user + used_cpu_sys), in ms. */
export async function redisCpuMs(urls: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const redis = new Redis(url);
    try {
      const info = await redis.info('cpu');
      const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
      total += (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
    } finally {
      redis.disconnect();
    }
  }
  return total;
}

/** Redis's own accounting: calls and µs per call of each busy command (EVALSHA = the Lua scripts). */
export async function redisCommandStats(url: string): Promise<Record<string, { calls: number; usecPerCall: number }>> {
  const redis = new Redis(url);
  try {
    const stats: Record<string, { calls: number; usecPerCall: number }> = {};
    for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/g)) {
      if (Number(m[2]) >= 1000) stats[m[1]!] = { calls: Number(m[2]), usecPerCall: Number(m[3]) };
    }
    return stats;
  } finally {
    redis.disconnect();
  }
}

/**
 * A plain keep-alive HTTP client, as light as a client gets, so a timing is
 * the service's: GET a path, the body as text (a non-200 answer rejects).
 */
export function keepAliveGetter(baseUrl: string): { get(path: string): Promise<string>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      http.get(baseUrl + path, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path} answered ${res.statusCode}: ${body.slice(0, 200)}`))));
      }).on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}
