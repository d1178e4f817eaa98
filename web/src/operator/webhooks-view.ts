// Alerts on the operator page: the operator's webhooks — add one (the
// signing secret shown once), send a test, switch one off or delete it — and
// each one's delivery log: status, attempts, the receiver's answer, the next
// retry. The log refreshes by itself while the view is open. Every string
// from the server is set as text (a description, a URL or an error can hold anything).
import type { DeliveryView, WebhookView } from '../../../server/domain/webhooks.ts';
import { byId, el } from '../dom.ts';
import { ApiError } from './api.ts';
import type { Session } from './session.ts';
import type { Ui } from './ui.ts';
import { SUBSCRIBABLE, webhookStrings, type WebhookStrings } from './webhooks-i18n.ts';

const REFRESH_MS = 3000;

function button(text: string, action: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', `small ${action}`, text);
  b.type = 'button';
  b.dataset.action = action;
  b.addEventListener('click', onClick);
  return b;
}

export class WebhooksView {
  private readonly form = byId<HTMLFormElement>('webhook-form');
  private readonly url = byId<HTMLInputElement>('webhook-url');
  private readonly description = byId<HTMLInputElement>('webhook-description');
  private readonly events = byId('webhook-events');
  private readonly formError = byId('webhook-form-error');
  private readonly secret = byId('webhook-secret');
  private readonly secretValue = byId('webhook-secret-value');
  private readonly list = byId<HTMLUListElement>('webhook-list');
  private webhooks: WebhookView[] = [];
  /** The webhooks whose log is shown, and what it showed last. */
  private readonly logs = new Map<string, DeliveryView[] | undefined>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
  ) {
    byId<HTMLButtonElement>('show-webhooks').addEventListener('click', () => void this.show());
    byId<HTMLButtonElement>('webhooks-done').addEventListener('click', () => {
      this.reset();
      this.ui.show('lots');
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create();
    });
    this.translate();
  }

  private get w(): WebhookStrings {
    return webhookStrings(this.session.lang);
  }

  /** Opens the view: the operator's webhooks, afresh. */
  async show(): Promise<void> {
    this.ui.show('webhooks');
    await this.load();
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (this.ui.isShown('webhooks')) void this.refreshLogs();
      else clearInterval(this.timer);
    }, REFRESH_MS);
  }

  /** Signed out, or closed: the secret leaves the page, the log stops refreshing. */
  reset(): void {
    clearInterval(this.timer);
    this.secret.hidden = true;
    this.secretValue.textContent = '';
    this.logs.clear();
  }

  /** Labels and the list in the page's language. */
  translate(): void {
    const { w } = this;
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-webhooks]')) {
      const text = w[node.dataset.i18nWebhooks as keyof WebhookStrings];
      if (typeof text === 'string') node.textContent = text;
    }
    const checked = new Set([...this.events.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
    this.events.replaceChildren(
      el('legend', undefined, w.events),
      ...SUBSCRIBABLE.map((event) => {
        const label = el('label', 'event-choice');
        const box = el('input');
        box.type = 'checkbox';
        box.name = 'events';
        box.value = event;
        box.checked = checked.size === 0 ? event !== 'lot.changed' : checked.has(event);
        label.append(box, document.createTextNode(` ${w.eventNames[event]}`));
        return label;
      }),
    );
    this.render();
  }

  private async load(): Promise<void> {
    try {
      this.webhooks = (await this.session.api!.webhooks()).webhooks;
      this.render();
      await this.refreshLogs();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async create(): Promise<void> {
    const { w } = this;
    for (const id of ['e-webhook-url', 'e-webhook-events', 'e-webhook-description']) byId(id).textContent = '';
    this.formError.textContent = '';
    const events = [...this.events.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const description = this.description.value.trim();
    try {
      const created = await this.session.api!.createWebhook({ url: this.url.value.trim(), events, ...(description ? { description } : {}) });
      const { secret, ...webhook } = created;
      this.webhooks = [...this.webhooks, webhook];
      this.secretValue.textContent = secret;
      this.secret.hidden = false;
      this.url.value = '';
      this.description.value = '';
      this.ui.say(w.created);
      this.render();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        for (const [field, messages] of Object.entries(err.fields)) {
          const target = document.getElementById(`e-webhook-${field.split('.')[0]}`) ?? this.formError;
          target.textContent = messages.join(' ');
        }
      } else this.ui.report(err, this.formError);
    }
  }

  private render(): void {
    const { w } = this;
    this.list.replaceChildren(...(this.webhooks.length ? this.webhooks.map((webhook) => this.item(webhook)) : [el('li', 'empty', w.none)]));
  }

  private item(webhook: WebhookView): HTMLLIElement {
    const { w } = this;
    const item = el('li', 'webhook');
    item.dataset.webhookId = webhook.id;
    const head = el('div', 'head');
    head.append(el('span', 'url', webhook.url), el('span', 'hint', webhook.enabled ? '' : w.disabled));
    item.append(head);
    if (webhook.description) item.append(el('div', 'description', webhook.description));
    item.append(el('div', 'meta', webhook.events.map((e) => w.eventNames[e]).join(' · ')));
    const shown = this.logs.has(webhook.id);
    const actions = el('div', 'actions');
    actions.append(
      button(w.test, 'test', () => void this.test(webhook.id)),
      button(shown ? w.hideLog : w.log, 'log', () => void this.toggleLog(webhook.id)),
      button(webhook.enabled ? w.disable : w.enable, 'toggle', () => void this.update(webhook.id, { enabled: !webhook.enabled })),
      button(w.remove, 'delete', () => void this.remove(webhook)),
    );
    item.append(actions);
    if (shown) item.append(this.logTable(webhook.id, this.logs.get(webhook.id)));
    return item;
  }

  private logTable(webhookId: string, deliveries: DeliveryView[] | undefined): HTMLElement {
    const { w } = this;
    const c = w.columns;
    if (!deliveries) return el('p', 'hint', '…');
    if (deliveries.length === 0) return el('p', 'hint delivery-empty', w.noDeliveries);
    const table = el('table', 'delivery-log');
    const head = el('tr');
    for (const title of [c.when, c.event, c.subject, c.status, c.attempts, c.response, c.next, c.error, '']) head.append(el('th', undefined, title));
    table.append(el('thead'), el('tbody'));
    table.tHead!.append(head);
    for (const d of deliveries) {
      const row = el('tr', `st-${d.status}`);
      row.dataset.deliveryId = d.id;
      const redo = d.status === 'failed' ? button(w.redeliver, 'redeliver', () => void this.redeliver(webhookId, d.id)) : undefined;
      const action = el('td', 'action');
      if (redo) action.append(redo);
      row.append(
        el('td', 'when', this.session.timeText(d.occurredAt)),
        el('td', 'event', `${w.eventNames[d.event]}${d.state ? ` · ${w.states[d.state]}` : ''}`),
        el('td', 'subject', d.subject ?? ''),
        el('td', 'status', w.statuses[d.status]),
        el('td', 'attempts', `${d.attempts}/${d.maxAttempts}`),
        el('td', 'response', d.responseStatus === null ? '–' : String(d.responseStatus)),
        el('td', 'next', d.nextAttemptAt ? this.session.timeText(d.nextAttemptAt) : '–'),
        el('td', 'error', d.error ?? ''),
        action,
      );
      table.tBodies[0]!.append(row);
    }
    const wrap = el('div', 'log-wrap');
    wrap.append(table);
    return wrap;
  }

  private async toggleLog(id: string): Promise<void> {
    if (this.logs.has(id)) {
      this.logs.delete(id);
      this.render();
      return;
    }
    this.logs.set(id, undefined);
    this.render();
    await this.refreshLogs();
  }

  private async refreshLogs(): Promise<void> {
    const api = this.session.api;
    if (!api) return;
    try {
      for (const id of [...this.logs.keys()]) this.logs.set(id, (await api.deliveries(id)).deliveries);
      this.render();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async test(id: string): Promise<void> {
    try {
      await this.session.api!.testWebhook(id);
      this.ui.say(this.w.tested);
      if (!this.logs.has(id)) this.logs.set(id, undefined);
      await this.refreshLogs();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async update(id: string, patch: Record<string, unknown>): Promise<void> {
    try {
      const saved = await this.session.api!.updateWebhook(id, patch);
      this.webhooks = this.webhooks.map((w) => (w.id === id ? saved : w));
      this.render();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async remove(webhook: WebhookView): Promise<void> {
    if (!confirm(this.w.confirmDelete(webhook.url))) return;
    try {
      await this.session.api!.deleteWebhook(webhook.id);
      this.webhooks = this.webhooks.filter((w) => w.id !== webhook.id);
      this.logs.delete(webhook.id);
      this.ui.say(this.w.deleted);
      this.render();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async redeliver(webhookId: string, deliveryId: string): Promise<void> {
    try {
      await this.session.api!.redeliver(webhookId, deliveryId);
      await this.refreshLogs();
    } catch (err) {
      this.ui.report(err);
    }
  }
}
