// npm run gateways -- mosquitto-passwd | mosquitto-acl | list
// Gateway credentials for a production Mosquitto, from the configured
// database: password_file lines (the stored hashes, already in Mosquitto's
// format; no secret is needed or shown) and acl_file entries.
import { parseArgs } from 'node:util';
import { mosquittoAclFile, mosquittoPasswordFile } from '../auth/mosquitto.ts';
import { loadGatewayCredentials } from '../catalog/gateways.ts';
import { withDatabase } from './db.ts';

const usage = `Usage: npm run gateways -- <command>
  mosquitto-passwd   print a Mosquitto password_file: every gateway (and the service's
                     MQTT_USERNAME, when MQTT_PASSWORD is set)
  mosquitto-acl      print a Mosquitto acl_file: each gateway may publish for its lots only
  list               list gateways and their lots
Uses DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite) and MQTT_BASE_TOPIC, as the service does.`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', default: false } } });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return;
  }
  await withDatabase(async (db, config) => {
    const gateways = await loadGatewayCredentials(db);
    const service = config.MQTT_USERNAME ? { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD } : undefined;
    if (command === 'mosquitto-passwd') process.stdout.write(await mosquittoPasswordFile(gateways, service));
    else if (command === 'mosquitto-acl') process.stdout.write(mosquittoAclFile(config.MQTT_BASE_TOPIC, gateways, service));
    else if (command === 'list') for (const g of gateways) console.log(`${g.id}\t${g.lotIds.join(',')}`);
    else throw new Error(`unknown command "${command}"\n${usage}`);
  });
}

main().catch((err) => {
  console.error(`gateways: ${(err as Error).message}`);
  process.exit(1);
});
