// npm run simulate -- [--url mqtt://localhost:1883] [--rate 2] [--lots a,b|all] [--api http://localhost:3000]
// Publishes plausible counts for the seeded lots (or a running service's lots) to any broker.
import { parseArgs } from 'node:util';
import { seedLots } from '../db/seed.ts';
import { GatewaySimulator, type SimLot } from './sim.ts';

const usage = `Usage: npm run simulate -- [options]
  --url <mqtt-url>     broker to publish to (default: $MQTT_URL or mqtt://localhost:1883)
  --rate <n>           messages per second across all lots (default: 2)
  --lots <ids|all>     comma-separated lot ids (default: all)
  --api <http-url>     take the lots from a running Kongwei (GET /api/lots) instead of the seed file
  --base <topic>       base topic (default: $MQTT_BASE_TOPIC or parking)
  --duration <s>       stop after this many seconds (default: run until Ctrl-C)
  --username, --password  MQTT credentials (gateway auth)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.MQTT_URL || 'mqtt://localhost:1883' },
      rate: { type: 'string', default: '2' },
      lots: { type: 'string', default: 'all' },
      api: { type: 'string' },
      base: { type: 'string', default: process.env.MQTT_BASE_TOPIC || 'parking' },
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
    ...(values.username ? { username: values.username } : {}),
    ...(values.password ? { password: values.password } : {}),
  });
  await sim.start();
  console.log(`simulating ${lots.length} lot(s) at ${rate} msg/s to ${values.url} (Ctrl-C to stop)`);
  const progress = setInterval(() => console.log(`published ${sim.published} counts${sim.failed ? `, ${sim.failed} failed` : ''}`), 10_000);
  const stop = async () => {
    clearInterval(progress);
    await sim.stop();
    console.log(`stopped after ${sim.published} counts`);
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
