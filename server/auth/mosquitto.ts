// Gateway credentials for a production Mosquitto: password_file lines (the
// stored hashes are already in its `$7$` format: auth/secrets.ts) and
// acl_file entries from the same topic rule the embedded broker enforces.
import { gatewayTopics } from '../domain/gateway-topics.ts';
import { hashGatewaySecret } from './secrets.ts';

export interface MosquittoGateway {
  id: string;
  secretHash: string;
  lotIds: string[];
}

/** The service's own account on the broker (MQTT_USERNAME / MQTT_PASSWORD), which reads and writes everything under the base topic. */
export interface ServiceAccount {
  username: string;
  password?: string | undefined;
}

export async function mosquittoPasswordFile(gateways: readonly MosquittoGateway[], service?: ServiceAccount): Promise<string> {
  const lines = gateways.map((g) => `${g.id}:${g.secretHash}`);
  if (service?.password) lines.unshift(`${service.username}:${await hashGatewaySecret(service.password)}`);
  return `${lines.join('\n')}\n`;
}

export function mosquittoAclFile(baseTopic: string, gateways: readonly MosquittoGateway[], service?: ServiceAccount): string {
  const out = ['# Kongwei gateway ACL (npm run gateways -- mosquitto-acl). Regenerate after creating or revoking gateways.'];
  if (service) out.push('', `user ${service.username}`, `topic readwrite ${baseTopic}/#`);
  for (const gateway of gateways) {
    const { publish, subscribe } = gatewayTopics(baseTopic, gateway.id, gateway.lotIds);
    out.push('', `user ${gateway.id}`);
    for (const topic of publish) out.push(`topic ${subscribe.includes(topic) ? 'readwrite' : 'write'} ${topic}`);
    for (const topic of subscribe) if (!publish.includes(topic)) out.push(`topic read ${topic}`);
  }
  return `${out.join('\n')}\n`;
}
