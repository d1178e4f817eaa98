// Many Socket.IO clients in one process (run as a child of the benchmark),
// subscribed to one bbox. A few of them — every `traceEvery`-th, spread over
// the connection order — record every push as (received at, lot, updatedAt),
// from which the benchmark computes each event's publish→socket latency.
// With `churnPerSecond` (the soak), that many clients leave every second and
// as many new ones connect and subscribe, so the crowd keeps its size while
// its members change.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../server/domain/contract.ts';

export interface SocketsJob {
  url: string;
  clients: number;
  bbox: [number, number, number, number];
  /** Trace every n-th client (0: none). */
  traceEvery?: number;
  /** Clients replaced by new ones every second (0: none). */
  churnPerSecond?: number;
}

/** [receivedAt, lotId, updatedAt] */
export type PushTrace = [number, string, number];

export type SocketsCommand = { cmd: 'record' } | { cmd: 'report' } | { cmd: 'stats' } | { cmd: 'close' };
export type SocketsMessage =
  | { type: 'ready'; connected: number; failed: number }
  | { type: 'report'; pushes: number; traces: PushTrace[][] }
  | { type: 'stats'; connected: number; connects: number; leaves: number; failed: number; pushes: number };

async function main(job: SocketsJob): Promise<void> {
  const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
  let traces: PushTrace[][] = [];
  let pushes = 0;
  let recording = false;
  let failed = 0;
  let connects = 0;
  let leaves = 0;
  let allPushes = 0;

  const connectOne = (index: number) =>
    new Promise<void>((resolve) => {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(job.url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
      const traced = job.traceEvery ? index % job.traceEvery === 0 : false;
      const slot = traced ? traces.push([]) - 1 : -1;
      const onPush = (lots: { id: string; updatedAt: string | null }[]) => {
        allPushes++;
        if (!recording) return;
        pushes++;
        if (!traced) return;
        const now = Date.now();
        const trace = traces[slot]!;
        for (const lot of lots) if (lot.updatedAt) trace.push([now, lot.id, Date.parse(lot.updatedAt)]);
      };
      socket.on('lots:update', onPush);
      socket.on('lots:live', onPush);
      socket.once('connect', () => {
        // As the drivers' map subscribes: live changes bring only the fields that move.
        socket.emit('subscribe', { bbox: job.bbox, fields: 'live' }, () => resolve());
        connects++;
      });
      socket.once('connect_error', () => {
        failed++;
        resolve();
      });
      sockets.push(socket);
    });

  // Connect in batches: thousands of simultaneous handshakes would only measure the backlog.
  for (let i = 0; i < job.clients; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, job.clients - i) }, (_, k) => connectOne(i + k)));
  }
  const send = (message: SocketsMessage) => process.send!(message);
  send({ type: 'ready', connected: sockets.filter((s) => s.connected).length, failed });

  if (job.churnPerSecond) {
    const churn = job.churnPerSecond;
    let next = job.clients;
    setInterval(() => {
      for (let k = 0; k < churn && sockets.length > 0; k++) {
        const [leaving] = sockets.splice(Math.floor(Math.random() * sockets.length), 1);
        leaving!.disconnect();
        leaves++;
      }
      for (let k = 0; k < churn; k++) void connectOne(next++);
    }, 1000);
  }

  process.on('message', (command: SocketsCommand) => {
    if (command.cmd === 'record') {
      traces = traces.map(() => []);
      pushes = 0;
      recording = true;
    } else if (command.cmd === 'report') {
      recording = false;
      send({ type: 'report', pushes, traces });
    } else if (command.cmd === 'stats') {
      send({ type: 'stats', connected: sockets.filter((s) => s.connected).length, connects, leaves, failed, pushes: allPushes });
    } else if (command.cmd === 'close') {
      for (const s of sockets) s.disconnect();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

if (process.send && process.argv[2]) {
  main(JSON.parse(process.argv[2]) as SocketsJob).catch((err) => {
    console.error(`sockets: ${(err as Error).message}`);
    process.exit(1);
  });
}
