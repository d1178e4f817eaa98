// npm run simulate -- [--url mqtt://localhost:1883] [--rate 2] [--lots a,b|all] [--api http://localhost:3000]
//                     [--mode count|gate|spaces] [--faults duplicates,reordering,malformed,offline|all]
// A simulated gateway for the seeded lots (or a running service's lots), against any broker.
import { parseArgs } from 'node:util';
import { seedLots } from '../db/seed.ts';
import { GatewaySimulator, simFaults, simModes, type SimFault, type SimLot, type SimMode } from './sim.ts';

const usage = `Usage: npm run simulate -- [options]
  --url <mqtt-url>     broker to publish to (default: $MQTT_URL or mqtt://localhost:1883)
  --rate <n>           vehicle movements per second across all lots (default: 2)
  --lots <ids|all>     comma-separated lot ids (default: all)
  --api <http-url>     take the lots from a running Kongwei (GET /api/lots) instead of the seed file
  --base <topic>       base topic (default: $MQTT_BASE_TOPIC or parking)
  --mode <mode>        how occupancy is reported (default: count):
                         count   absolute counts  ({base}/lots/{lot}/count)
                         gate    entry/exit events from two gate counters, after one calibrating count
                         spaces  one sensor per bay ({base}/lots/{lot}/spaces/b-<n>)
  --faults <list|all>  comma-separated faults to inject (default: none):
                         duplicates  send some messages twice (the same payload)
                         reordering  hold some messages back and send them after the next one
                         malformed   send some messages the service must reject (watch {base}/errors)
                         offline     drop off the network now and then (the broker publishes the Last Will)
  --fault-rate <0..1>  share of messages the faults apply to (default: 0.1)
  --offline-every <s>  with --faults offline: seconds between outages (default: 60)
  --offline-for <s>    with --faults offline: length of each outage (default: 10)
  --gateway <id>       the gateway's id: its MQTT client id and status topic (default: sim-<random>)
  --duration <s>       stop after this many seconds (default: run until Ctrl-C)
  --username, --password  MQTT credentials (gateway auth)
  --help`;

function parseList<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  if (value === 'all') return [...allowed];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((i) => !allowed.includes(i as T));
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')}; choose from ${allowed.join(', ')}`);
  return items as T[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.MQTT_URL || 'mqtt://localhost:1883' },
      rate: { type: 'string', default: '2' },
      lots: { type: 'string', default: 'all' },
      api: { type: 'string' },
      base: { type: 'string', default: process.env.MQTT_BASE_TOPIC || 'parking' },
      mode: { type: 'string', default: 'count' },
      faults: { type: 'string', default: '' },
      'fault-rate': { type: 'string', default: '0.1' },
      'offline-every': { type: 'string', default: '60' },
      'offline-for': { type: 'string', default: '10' },
      gateway: { type: 'string' },
      duration: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const rate = Number(values.rate);
  if (!(rate > 0)) throw new Error(`--rate must be a positive number, got "${values.rate}"`);
  const [mode] = parseList<SimMode>(values.mode, simModes, 'mode');
  if (!mode || values.mode.includes(',')) throw new Error(`--mode takes one of ${simModes.join(', ')}`);
  const faults = values.faults ? parseList<SimFault>(values.faults, simFaults, 'fault') : [];
  const faultRate = Number(values['fault-rate']);
  if (!(faultRate >= 0 && faultRate <= 1)) throw new Error(`--fault-rate must be between 0 and 1, got "${values['fault-rate']}"`);
  const offline = { everyS: Number(values['offline-every']), forS: Number(values['offline-for']) };
  if (!(offline.everyS > 0 && offline.forS > 0)) throw new Error('--offline-every and --offline-for must be positive numbers of seconds');

  let available: SimLot[];
  if (values.api) {
    const res = await fetch(new URL('/api/lots?limit=10000', values.api));
    if (!res.ok) throw new Error(`GET ${values.api}/api/lots answered ${res.status}`);
    available = ((await res.json()) as { lots: SimLot[] }).lots.map(({ id, capacity }) => ({ id, capacity }));
  } else available = seedLots();

  let lots = available;
  if (values.lots !== 'all') {
    const wanted = values.lots.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = wanted.filter((id) => !available.some((l) => l.id === id));
    if (unknown.length) throw new Error(`unknown lot(s): ${unknown.join(', ')}; known: ${available.map((l) => l.id).join(', ')}`);
    lots = available.filter((l) => wanted.includes(l.id));
  }

  const sim = new GatewaySimulator({
    url: values.url,
    lots,
    rate,
    baseTopic: values.base,
    mode,
    faults,
    faultRate,
    offline,
    ...(values.gateway ? { gatewayId: values.gateway } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(values.password ? { password: values.password } : {}),
  });
  await sim.start();
  console.log(
    `gateway ${sim.gatewayId}: ${lots.length} lot(s) in ${mode} mode at ${rate} movements/s to ${values.url}` +
      `${faults.length ? ` with faults: ${faults.join(', ')}` : ''} (Ctrl-C to stop)`,
  );
  const report = () => {
    const done = Object.entries(sim.faultsDone).filter(([, n]) => n > 0).map(([fault, n]) => `${fault} ${n}`);
    return `published ${sim.published} messages${sim.failed ? `, ${sim.failed} failed` : ''}${done.length ? `; faults: ${done.join(', ')}` : ''}`;
  };
  const progress = setInterval(() => console.log(report()), 10_000);
  const stop = async () => {
    clearInterval(progress);
    await sim.stop();
    console.log(`stopped: ${report()}`);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (values.duration) setTimeout(stop, Number(values.duration) * 1000);
}

main().catch((err) => {
  console.error(`simulate: ${(err as Error).message}`);
  process.exit(1);
});
