// A new gateway credential: created for a lot, its connection details (with
// the password, shown this once) in a text box to copy; "done" clears them.
import type { NewGatewayAnswer } from '../../../server/domain/operator-api.ts';
import { byId } from '../dom.ts';
import type { OperatorStrings } from './i18n.ts';
import type { Session } from './session.ts';
import type { Ui } from './ui.ts';

export function connectionText(gateway: NewGatewayAnswer, s: OperatorStrings): string {
  const c = s.connection;
  const [firstTopic] = gateway.mqtt.topics.publish;
  const { hostname, port } = new URL(gateway.mqtt.url.replace(/^mqtts?:|^wss?:/, 'http:'));
  const { http } = gateway;
  const origin = new URL(http.url).origin;
  const [firstPath] = http.paths;
  return [
    `${c.broker}: ${gateway.mqtt.url}`,
    `${c.clientId}: ${gateway.mqtt.clientId}`,
    `${c.username}: ${gateway.mqtt.username}`,
    `${c.password}: ${gateway.mqtt.password}`,
    `${c.publish}:`,
    ...gateway.mqtt.topics.publish.map((t) => `  ${t}`),
    `${c.example}:`,
    `  mosquitto_pub -h ${hostname} -p ${port || 1883} -i ${gateway.mqtt.clientId} -u ${gateway.mqtt.username} -P '${gateway.mqtt.password}' -q 1 -t ${firstTopic} -m '{"free":12}'`,
    '',
    `${c.http}: ${http.url}`,
    `${c.httpAuth}: ${http.username} / ${http.password}`,
    `${c.httpPaths}:`,
    ...http.paths.map((path) => `  POST ${origin}${path}`),
    `${c.example}:`,
    `  curl -u '${http.username}:${http.password}' -H 'content-type: application/json' -d '{"free":12,"seq":1}' ${origin}${firstPath}`,
  ].join('\n');
}

export class GatewayView {
  private readonly details = byId<HTMLTextAreaElement>('gateway-details');
  private readonly copied = byId('gateway-copied');

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
  ) {
    byId<HTMLButtonElement>('gateway-copy').addEventListener('click', () => void this.copy());
    byId<HTMLButtonElement>('gateway-done').addEventListener('click', () => {
      this.details.value = ''; // the secret leaves the page
      this.ui.show('lots');
    });
  }

  /** Asks for a name, creates a gateway for the lot and shows how to connect it. */
  async create(lotId: string): Promise<void> {
    const { session } = this;
    const name = prompt(session.s.gatewayName) ?? undefined;
    if (name === undefined) return;
    try {
      const gateway = await session.api!.createGateway(lotId, name.trim() || undefined);
      session.gateways = [...session.gateways, gateway];
      session.changed();
      this.details.value = connectionText(gateway, session.s);
      this.copied.textContent = '';
      this.ui.show('gateway');
      this.details.focus();
      this.details.select();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async copy(): Promise<void> {
    const { s } = this.session;
    try {
      await navigator.clipboard.writeText(this.details.value);
      this.copied.textContent = s.copied;
    } catch {
      // No clipboard API (plain HTTP on a network address): the old way, from the selection.
      this.details.select();
      this.copied.textContent = document.execCommand('copy') ? s.copied : s.copyFailed;
    }
  }
}
