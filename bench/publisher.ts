// A load generator, run as its own process (so it does not share an event
// loop with what it measures): QoS 1 count events for a set of lots, either
// as fast as the broker takes them (a window of unacknowledged messages per
// connection) or at a fixed rate. Each lot belongs to one connection, whose
// seq for it increases, so every event is new to the service.
import mqtt, { type MqttClient } from 'mqtt';
import { countTopic, type CountPayload } from '../server/domain/events.ts';

export interface PublisherJob {
  url: string;
  baseTopic: string;
  lotIds: string[];
  connections: number;
  /** burst: `total` messages, `window` in flight per connection; rate: `rate`/s for `seconds`. */
  mode: 'burst' | 'rate';
  total?: number;
  window?: number;
  rate?: number;
  seconds?: number;
  /** Return every event's lot and ts (for per-event latency). */
  log?: boolean;
}

export interface PublisherResult {
  sent: number;
  acked: number;
  startedAt: number;
  /** When the last message was handed to the broker connection. */
  sentAt: number;
  finishedAt: number;
  /** With `log`: [lotId, ts] of every event sent. */
  events?: [string, number][];
  /** The publisher's own CPU time (ms) from its connections' being up until its last acknowledgement. */
  cpuMs: number;
  /** Each lot's last seq sent: its last count was `seq % 1000` (the soak checks the final counts). */
  lastSeq: Record<string, number>;
}

interface Lane {
  client: MqttClient;
  lots: string[];
  seq: Map<string, number>;
  next: number;
}

function message(lane: Lane): [lotId: string, payload: string, ts: number] {
  const lotId = lane.lots[lane.next++ % lane.lots.length]!;
  const seq = (lane.seq.get(lotId) ?? 0) + 1;
  lane.seq.set(lotId, seq);
  const ts = Date.now();
  return [lotId, JSON.stringify({ occupied: seq % 1000, ts, seq } satisfies CountPayload), ts];
}

export async function runPublisher(job: PublisherJob): Promise<PublisherResult> {
  const lanes: Lane[] = [];
  for (let i = 0; i < job.connections; i++) {
    const client = await mqtt.connectAsync(job.url, {
      clientId: `kongwei-bench-pub-${process.pid}-${i}`,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      clean: true,
    });
    lanes.push({ client, lots: job.lotIds.filter((_, j) => j % job.connections === i), seq: new Map(), next: 0 });
  }
  let sent = 0;
  let acked = 0;
  const cpuAtStart = process.cpuUsage();
  const startedAt = Date.now();
  let sentAt = startedAt;
  const events: [string, number][] = [];
  const send = (lane: Lane, onAck: () => void) => {
    const [lotId, payload, ts] = message(lane);
    if (job.log) events.push([lotId, ts]);
    sent++;
    sentAt = ts;
    lane.client.publish(countTopic(job.baseTopic, lotId), payload, { qos: 1 }, (err) => {
      if (!err) acked++;
      onAck();
    });
  };

  if (job.mode === 'burst') {
    const total = job.total ?? 10_000;
    const window = job.window ?? 500;
    await new Promise<void>((resolve) => {
      let completed = 0;
      const inFlight = new Map<Lane, number>();
      const pump = (lane: Lane) => {
        while ((inFlight.get(lane) ?? 0) < window && sent < total) {
          inFlight.set(lane, (inFlight.get(lane) ?? 0) + 1);
          send(lane, () => {
            inFlight.set(lane, inFlight.get(lane)! - 1);
            if (++completed === total) resolve();
            else pump(lane);
          });
        }
      };
      for (const lane of lanes) pump(lane);
    });
  } else {
    const rate = job.rate ?? 1000;
    const seconds = job.seconds ?? 10;
    const tickMs = 5;
    await new Promise<void>((resolve) => {
      let budget = 0;
      let lane = 0;
      const timer = setInterval(() => {
        const elapsed = Date.now() - startedAt;
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          return resolve();
        }
        // Catch up to the schedule rather than drifting when a tick runs late.
        budget = (rate * elapsed) / 1000 - sent;
        for (; budget >= 1; budget--) send(lanes[lane++ % lanes.length]!, () => {});
      }, tickMs);
    });
    const deadline = Date.now() + 10_000;
    while (acked < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  const finishedAt = Date.now();
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await Promise.all(lanes.map((l) => l.client.endAsync()));
  const lastSeq = Object.fromEntries(lanes.flatMap((lane) => [...lane.seq]));
  return { sent, acked, startedAt, sentAt, finishedAt, cpuMs, lastSeq, ...(job.log ? { events } : {}) };
}

// As a child process: the job comes in argv, the result goes back over IPC.
if (process.send && process.argv[2]) {
  runPublisher(JSON.parse(process.argv[2]) as PublisherJob).then(
    (result) => process.send!({ type: 'done', result }, () => process.exit(0)),
    (err) => {
      console.error(`publisher: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
