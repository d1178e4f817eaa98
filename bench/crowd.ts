// The latency phase's crowd: many socket clients in one process (run as a
// child of the benchmark), all on one subscription, each its own WebSocket
// speaking just enough of Engine.IO v4 / Socket.IO v5 (open, connect, ping,
// an event with an acknowledgement, events) to subscribe as the drivers' map
// does and receive its pushes. Its frames' bytes name each push exactly (see
// below), and it spares the cores the service needs the Socket.IO client
// library's own work (about a sixth of a client's per push, measured: 75
// against 63 µs for a 10 KB push); what a client does with a push is what a
// page must do first: parse it whole (JSON.parse of the frame).
//
// Every client is counted: when it has parsed a push, it notes the time and
// which push it was (the distinct pushes are numbered once per process, see
// latency.ts); at the end the benchmark sends the events it published and
// the process answers with the latency histogram of every event × client.
import WebSocket from 'ws';
import type { LiveRows, SubscriptionFields } from '../server/domain/contract.ts';
import { countLatencies, type LatencyCounts, type PushedLots } from './latency.ts';
import { ackAnswer, SIO, socketIoKind, socketUrl, subscribeFrame } from './socket-wire.ts';

export interface CrowdJob {
  url: string;
  clients: number;
  bbox: [number, number, number, number];
  fields: SubscriptionFields;
}

export type CrowdCommand = { cmd: 'record' } | { cmd: 'progress' } | { cmd: 'report'; events: [string, number][] } | { cmd: 'close' };
export type CrowdMessage =
  | { type: 'ready'; connected: number; failed: number }
  /** While recording: clients that have not had the newest push yet, and how long ago a new push was first seen. */
  | { type: 'progress'; behind: number; quietMs: number }
  | { type: 'report'; frames: number; pushes: number; bytes: number; spreads: number[]; ages: number[]; counts: LatencyCounts; cpuMs: number };

/** The lots a push shows, with the updatedAt each shows (none for a removal). */
export function pushedLots(event: string, payload: unknown): PushedLots {
  const lots: PushedLots = [];
  if (event === 'lots:rows') {
    const { at, rows } = payload as LiveRows;
    for (const row of rows) if (row[6] !== null) lots.push([row[0], at + row[6]]);
  } else if (event === 'lots:live' || event === 'lots:update') {
    for (const lot of payload as { id: string; updatedAt: string | null }[]) if (lot.updatedAt) lots.push([lot.id, Date.parse(lot.updatedAt)]);
  }
  return lots;
}

interface Client {
  ws: WebSocket;
  connected: boolean;
  /** The index of the last push it had, while recording. */
  last: number;
  /** [push, receivedAt] pairs, flat, while recording. */
  got: number[];
}

async function main(job: CrowdJob): Promise<void> {
  const wsUrl = socketUrl(job.url);
  const subscribe = subscribeFrame(job.bbox, job.fields);
  const clients: Client[] = [];
  /** The distinct pushes seen while recording, in the order first seen (the order sent), and the lots each shows. */
  let frames: Buffer[] = [];
  let shown: PushedLots[] = [];
  let recording = false;
  let pushes = 0;
  let bytes = 0;
  let failed = 0;
  let cpuAtRecord = 0;
  let newestAt = 0;

  /** Which push this frame is: the one after the client's last, usually; a new one if no client had it yet. */
  const identify = (client: Client, data: Buffer, parsed: [string, unknown]): number => {
    for (let k = client.last + 1; k < frames.length; k++) if (frames[k]!.length === data.length && frames[k]!.equals(data)) return k;
    frames.push(Buffer.from(data));
    shown.push(pushedLots(parsed[0], parsed[1]));
    newestAt = Date.now();
    return frames.length - 1;
  };

  const connectOne = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
      const client: Client = { ws, connected: false, last: -1, got: [] };
      clients.push(client);
      const fail = () => {
        if (client.connected) return;
        failed++;
        resolve();
      };
      ws.on('error', fail);
      ws.on('close', () => {
        fail();
        client.connected = false;
      });
      ws.on('message', (data: Buffer) => {
        const kind = socketIoKind(ws, data);
        if (kind === SIO.event) {
          const parsed = JSON.parse(data.toString('utf8', 2)) as [string, unknown];
          const at = Date.now();
          if (!recording) return;
          pushes++;
          bytes += data.length;
          const push = identify(client, data, parsed);
          client.last = push;
          client.got.push(push, at);
        } else if (kind === SIO.connect) {
          ws.send(subscribe);
        } else if (kind === SIO.ack) {
          // The subscribe's answer, a snapshot: parsed as a page would.
          const answer = ackAnswer(data);
          if (!answer.lots) console.error(`crowd: subscribe refused: ${JSON.stringify(answer)}`);
          client.connected = true;
          resolve();
        }
      });
    });

  // Connect in batches: thousands of simultaneous handshakes would only measure the backlog.
  for (let i = 0; i < job.clients; i += 200) await Promise.all(Array.from({ length: Math.min(200, job.clients - i) }, connectOne));
  const send = (message: CrowdMessage) => process.send!(message);
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  send({ type: 'ready', connected: clients.filter((c) => c.connected).length, failed });

  process.on('message', (command: CrowdCommand) => {
    if (command.cmd === 'record') {
      // Before the load starts: the pushes are then numbered in the order they were sent.
      frames = [];
      shown = [];
      pushes = 0;
      bytes = 0;
      for (const client of clients) {
        client.last = -1;
        client.got = [];
      }
      cpuAtRecord = cpuMs();
      recording = true;
    } else if (command.cmd === 'progress') {
      const behind = clients.filter((c) => c.connected && c.last < frames.length - 1).length;
      send({ type: 'progress', behind, quietMs: Date.now() - newestAt });
    } else if (command.cmd === 'report') {
      recording = false;
      const cpu = cpuMs() - cpuAtRecord;
      const received = clients.map(({ got }) => {
        const times = new Float64Array(frames.length).fill(Number.NaN);
        for (let i = 0; i < got.length; i += 2) times[got[i]!] = got[i + 1]!;
        return times;
      });
      // Per push, from its first client to its last in this process (how long the fan-out and the
      // parsing took), and the age of its newest event when its first client had it (the way in).
      const spreads: number[] = [];
      const ages: number[] = [];
      frames.forEach((_, p) => {
        let first = Infinity;
        let last = -Infinity;
        for (const times of received) {
          const at = times[p]!;
          if (at < first) first = at;
          if (at > last) last = at;
        }
        spreads.push(last - first);
        if (shown[p]!.length) ages.push(first - Math.max(...shown[p]!.map(([, upd]) => upd)));
      });
      send({ type: 'report', frames: frames.length, pushes, bytes, spreads, ages, counts: countLatencies(command.events, shown, received), cpuMs: cpu });
    } else if (command.cmd === 'close') {
      for (const { ws } of clients) ws.terminate();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

if (process.send && process.argv[2]) {
  main(JSON.parse(process.argv[2]) as CrowdJob).catch((err) => {
    console.error(`crowd: ${(err as Error).message}`);
    process.exit(1);
  });
}
