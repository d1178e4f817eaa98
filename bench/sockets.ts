// Many Socket.IO clients in one process (run as a child of the benchmark),
// subscribed to one bbox, counting the pushes they receive: the pipeline
// phases' watchers, the memory phase's idle crowd and the soak's (the latency
// phase's clients are bench/crowd.ts). With `churnPerSecond` (the soak), that many clients leave every second and
// as many new ones connect and subscribe, so the crowd keeps its size while
// its members change. With `raw` (the soak), each client is a bare WebSocket
// speaking just enough Engine.IO v4 / Socket.IO v5 to subscribe, answer pings
// and count the pushes, without parsing them: the clients share the service's
// two cores, where the drivers' phones would not (socket.io-client parsing
// every push took a whole core at 1,000 clients, measured).
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientToServerEvents, ServerToClientEvents, SubscriptionFields } from '../server/domain/contract.ts';
import { ackAnswer, SIO, socketIoKind, socketUrl, subscribeFrame } from './socket-wire.ts';

export interface SocketsJob {
  url: string;
  clients: number;
  bbox: [number, number, number, number];
  /** Clients replaced by new ones every second (0: none). */
  churnPerSecond?: number;
  /** What the clients subscribe to (default 'live'; the drivers' map: 'rows'). */
  fields?: SubscriptionFields;
  /** Bare WebSocket clients that count the pushes without parsing them (default: socket.io-client). */
  raw?: boolean;
}

export type SocketsCommand = { cmd: 'record' } | { cmd: 'report' } | { cmd: 'stats' } | { cmd: 'close' };
export type SocketsMessage =
  | { type: 'ready'; connected: number; failed: number }
  | { type: 'report'; pushes: number }
  | { type: 'stats'; connected: number; connects: number; leaves: number; failed: number; pushes: number; dropped: Record<string, number> };

/** One client, whichever kind. */
interface Client {
  readonly connected: boolean;
  leave(): void;
}

/** What a client tells the crowd: connected and subscribed (or failed), a push, a disconnect it did not ask for. */
interface ClientEvents {
  subscribed(ok: boolean): void;
  push(): void;
  dropped(reason: string): void;
}

function ioClient(job: SocketsJob, on: ClientEvents): Client {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(job.url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
  socket.on('lots:update', on.push);
  socket.on('lots:live', on.push);
  socket.on('lots:rows', on.push);
  socket.once('connect', () => socket.emit('subscribe', { bbox: job.bbox, fields: job.fields ?? 'live' }, () => on.subscribed(true)));
  socket.on('disconnect', (reason) => reason !== 'io client disconnect' && on.dropped(reason));
  socket.once('connect_error', () => on.subscribed(false));
  return {
    get connected() {
      return socket.connected;
    },
    leave: () => socket.disconnect(),
  };
}

function rawClient(job: SocketsJob, on: ClientEvents): Client {
  const ws = new WebSocket(socketUrl(job.url), { perMessageDeflate: false });
  let connected = false;
  let leaving = false;
  let settled = false;
  const settle = (ok: boolean) => {
    if (settled) return;
    settled = true;
    connected = ok;
    on.subscribed(ok);
  };
  ws.on('error', () => settle(false));
  ws.on('close', (code) => {
    const was = connected;
    connected = false;
    if (!settled) settle(false);
    else if (was && !leaving) on.dropped(`socket closed (${code})`);
  });
  ws.on('message', (data: Buffer) => {
    const kind = socketIoKind(ws, data);
    if (kind === SIO.event) return on.push();
    if (kind === SIO.connect) return ws.send(subscribeFrame(job.bbox, job.fields ?? 'live'));
    if (kind === SIO.ack) {
      const answer = ackAnswer(data);
      if (!answer.lots) console.error(`sockets: subscribe refused: ${JSON.stringify(answer)}`);
      return settle(Boolean(answer.lots));
    }
    if (kind === SIO.disconnect) {
      if (connected) on.dropped('io server disconnect');
      connected = false;
    }
  });
  return {
    get connected() {
      return connected;
    },
    leave: () => {
      leaving = true;
      connected = false;
      ws.close();
    },
  };
}

async function main(job: SocketsJob): Promise<void> {
  const clients: Client[] = [];
  let pushes = 0;
  let recording = false;
  let failed = 0;
  let connects = 0;
  let leaves = 0;
  let allPushes = 0;
  /** Clients disconnected other than by leaving (by the reason the client gives). */
  const dropped: Record<string, number> = {};
  const onPush = () => {
    allPushes++;
    if (recording) pushes++;
  };

  const connectOne = () =>
    new Promise<void>((resolve) => {
      const client: Client = (job.raw ? rawClient : ioClient)(job, {
        subscribed: (ok) => {
          if (ok) connects++;
          else failed++;
          resolve();
        },
        push: onPush,
        dropped: (reason) => {
          dropped[reason] = (dropped[reason] ?? 0) + 1;
          const at = clients.indexOf(client);
          if (at >= 0) clients.splice(at, 1);
        },
      });
      clients.push(client);
    });

  // Connect in batches: thousands of simultaneous handshakes would only measure the backlog.
  for (let i = 0; i < job.clients; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, job.clients - i) }, connectOne));
  }
  const send = (message: SocketsMessage) => process.send!(message);
  send({ type: 'ready', connected: clients.filter((s) => s.connected).length, failed });

  if (job.churnPerSecond) {
    const churn = job.churnPerSecond;
    setInterval(() => {
      for (let k = 0; k < churn && clients.length > 0; k++) {
        const [leaving] = clients.splice(Math.floor(Math.random() * clients.length), 1);
        leaving!.leave();
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
      send({ type: 'stats', connected: clients.filter((s) => s.connected).length, connects, leaves, failed, pushes: allPushes, dropped });
    } else if (command.cmd === 'close') {
      for (const s of clients) s.leave();
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
