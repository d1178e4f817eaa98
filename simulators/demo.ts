// npm run demo: the service with its embedded defaults, plus a simulated
// gateway for the seeded lots, so a newcomer sees the map move at once.
import { createServer } from 'node:net';
import { Kongwei } from '../server/app.ts';
import { ConfigError, loadConfig } from '../server/config.ts';
import { countTopic, type CountPayload } from '../server/domain/events.ts';
import { createLogger } from '../server/log.ts';
import { GatewaySimulator } from './sim.ts';

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const env = { ...process.env };
  // The embedded broker listens on this machine only, unless told otherwise:
  // then gateway auth may stay off (MQTT_AUTH's default) and the simulator,
  // and mosquitto_pub by hand, publish without credentials.
  if (!env.MQTT_HOST && !env.MQTT_URL) env.MQTT_HOST = '127.0.0.1';
  const config = loadConfig(env);
  if (!config.MQTT_URL && config.MQTT_AUTH) {
    console.error('demo: the simulator publishes without credentials, so the demo needs MQTT_AUTH=off (the default on 127.0.0.1); unset MQTT_AUTH or MQTT_HOST.');
    process.exit(78);
  }
  // The demo should just work: if another broker (often Mosquitto) holds the
  // MQTT port, the embedded one takes a free port instead and says so.
  if (!config.MQTT_URL && !(await portIsFree(config.MQTT_PORT, config.MQTT_HOST))) {
    console.warn(`demo: MQTT_PORT ${config.MQTT_PORT} is taken (another broker?); the embedded broker takes a free port instead.`);
    config.MQTT_PORT = 0;
  }
  const log = createLogger(config.LOG_LEVEL);
  const app = new Kongwei({ config, log, processMetrics: true });
  await app.start();

  const sim = new GatewaySimulator({
    url: app.mqtt.url,
    lots: [...app.catalog.all()],
    rate: 3,
    baseTopic: config.MQTT_BASE_TOPIC,
    gatewayId: 'kongwei-demo',
  });
  await sim.start();
  const mqttPort = new URL(app.mqtt.url).port;
  console.log(`
  Kongwei demo is running.
    map:       http://localhost:${app.httpPort}
    API:       http://localhost:${app.httpPort}/api/lots
    MQTT:      ${app.mqtt.url} (a simulated gateway publishes 3 counts/s)
    try:       mosquitto_pub -p ${mqttPort} -t ${countTopic(config.MQTT_BASE_TOPIC, 'nanfeng-rd')} -m '${JSON.stringify({ occupied: 10 } satisfies CountPayload)}'
  Ctrl-C stops it.
`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sim.stop().catch(() => {});
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `demo: ${err.message}` : `demo: could not start: ${(err as Error).message}`);
  process.exit(1);
});
