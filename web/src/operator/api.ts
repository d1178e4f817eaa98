// The operators' API from the browser: a bearer token on every call, errors
// as one type carrying the API's code, message and field errors.
import type { LotView } from '../../../server/domain/lot.ts';
import type { AuditEntry, ErrorAnswer, MeAnswer, MyLotsAnswer, NewGatewayAnswer } from '../../../server/domain/operator-api.ts';
import type { DeliveryView, NewWebhookAnswer, WebhookView } from '../../../server/domain/webhooks.ts';
import type { Lang } from '../i18n.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export class OperatorApi {
  constructor(
    private readonly token: string,
    /** The page's language: the API words its errors in it (not in the browser's, which may differ). */
    private readonly lang: () => Lang,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, 'accept-language': this.lang() === 'zh' ? 'zh-CN' : 'en' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch {
      throw new ApiError(0, 'network', 'network error');
    }
    if (res.status === 204) return undefined as T;
    const answer = (await res.json().catch(() => ({}))) as T & Partial<ErrorAnswer>;
    if (!res.ok) {
      const error = answer.error;
      throw new ApiError(res.status, error?.code ?? 'internal', error?.message ?? res.statusText, error?.details?.fields ?? {}, error?.details?.retryAfterS);
    }
    return answer;
  }

  me = () => this.call<MeAnswer>('GET', '/api/me');
  myLots = () => this.call<MyLotsAnswer>('GET', '/api/me/lots');
  createLot = (lot: Record<string, unknown>) => this.call<LotView>('POST', '/api/lots', lot);
  updateLot = (id: string, patch: Record<string, unknown>) => this.call<LotView>('PATCH', `/api/lots/${encodeURIComponent(id)}`, patch);
  deleteLot = (id: string) => this.call<void>('DELETE', `/api/lots/${encodeURIComponent(id)}`);
  audit = (id: string) => this.call<{ entries: AuditEntry[] }>('GET', `/api/lots/${encodeURIComponent(id)}/audit`);
  createGateway = (lotId: string, name?: string) =>
    this.call<NewGatewayAnswer>('POST', `/api/lots/${encodeURIComponent(lotId)}/gateways`, name ? { name } : {});
  webhooks = () => this.call<{ webhooks: WebhookView[] }>('GET', '/api/webhooks');
  createWebhook = (webhook: Record<string, unknown>) => this.call<NewWebhookAnswer>('POST', '/api/webhooks', webhook);
  updateWebhook = (id: string, patch: Record<string, unknown>) => this.call<WebhookView>('PATCH', `/api/webhooks/${encodeURIComponent(id)}`, patch);
  deleteWebhook = (id: string) => this.call<void>('DELETE', `/api/webhooks/${encodeURIComponent(id)}`);
  testWebhook = (id: string) => this.call<DeliveryView>('POST', `/api/webhooks/${encodeURIComponent(id)}/test`);
  deliveries = (id: string) => this.call<{ deliveries: DeliveryView[] }>('GET', `/api/webhooks/${encodeURIComponent(id)}/deliveries?limit=50`);
  redeliver = (id: string, deliveryId: string) =>
    this.call<DeliveryView>('POST', `/api/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
}
