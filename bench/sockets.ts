// Many Socket.IO clients in one process (run as a child of the benchmark),
// subscribed to one bbox, counting the pushes they receive: the pipeline
// phases' watchers, the memory phase's idle crowd and the soak's (the latency
// phase's clients are bench/crowd.ts). With `churnPerSecond` (the soak), that many clients leave every second and
// as many new ones connect and subscribe, so the crowd keeps its size while
// its members change.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscriptionFields } from '../server/domain/contract.ts';

export interface SocketsJob {
  url: string;
  clients: number;
  bbox: [number, number, number, number];
  /** Clients replaced by new ones every second (0: none). */
  churnPerSecond?: number;
  /** What the clients subscribe to (default 'live'; the drivers' map: 'rows'). */
  fields?: SubscriptionFields;
}

export type SocketsCommand = { cmd: 'record' } | { cmd: 'report' } | { cmd: 'stats' } | { cmd: 'close' };
export type SocketsMessage =
  | { type: 'ready'; connected: number; failed: number }
  | { type: 'report'; pushes: number }
  | { type: 'stats'; connected: number; connects: number; leaves: number; failed: number; pushes: number; dropped: Record<string, number> };

async function main(job: SocketsJob): Promise<void> {
  const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
  let pushes = 0;
  let recording = false;
  let failed = 0;
  let connects = 0;
  let leaves = 0;
  let allPushes = 0;
  /** Clients disconnected other than by leaving (by the reason socket.io-client gives). */
  const dropped: Record<string, number> = {};

  const connectOne = () =>
    new Promise<void>((resolve) => {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(job.url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
      const onPush = () => {
        allPushes++;
        if (recording) pushes++;
      };
      socket.on('lots:update', onPush);
      socket.on('lots:live', onPush);
      socket.once('connect', () => {
        socket.emit('subscribe', { bbox: job.bbox, fields: job.fields ?? 'live' }, () => resolve());
        connects++;
      });
      socket.on('disconnect', (reason) => {
        if (reason === 'io client disconnect') return; // it left
        dropped[reason] = (dropped[reason] ?? 0) + 1;
        const at = sockets.indexOf(socket);
        if (at >= 0) sockets.splice(at, 1);
      });
      socket.once('connect_error', () => {
        failed++;
        resolve();
      });
      sockets.push(socket);
    });

  // Connect in batches: thousands of simultaneous handshakes would only measure the backlog.
  for (let i = 0; i < job.clients; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, job.clients - i) }, connectOne));
  }
  const send = (message: SocketsMessage) => process.send!(message);
  send({ type: 'ready', connected: sockets.filter((s) => s.connected).length, failed });

  if (job.churnPerSecond) {
    const churn = job.churnPerSecond;
    setInterval(() => {
      for (let k = 0; k < churn && sockets.length > 0; k++) {
        const [leaving] = sockets.splice(Math.floor(Math.random() * sockets.length), 1);
        leaving!.disconnect();
        leaves++;
      }
      for (let k = 0; k < churn; k++) void connectOne();
    }, 1000);
  }

  process.on('message', (command: SocketsCommand) => {
    if (command.cmd === 'record') {
      pushes = 0;
      recording = true;
    } else if (command.cmd === 'report') {
      recording = false;
      send({ type: 'report', pushes });
    } else if (command.cmd === 'stats') {
      send({ type: 'stats', connected: sockets.filter((s) => s.connected).length, connects, leaves, failed, pushes: allPushes, dropped });
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
