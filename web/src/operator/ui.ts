// What the operator page's views share: which of them the panel shows, the
// notice line above it, and how an API error is put into words.
import { byId } from '../dom.ts';
import { ApiError } from './api.ts';
import type { Session } from './session.ts';

export type View = 'lots' | 'form' | 'gateway' | 'audit' | 'webhooks' | 'stats';

export class Ui {
  private readonly views: Record<View, HTMLElement> = {
    lots: byId('lots-view'),
    form: byId('lot-form'),
    gateway: byId('gateway-view'),
    audit: byId('audit-view'),
    webhooks: byId('webhooks-view'),
    stats: byId('stats-view'),
  };
  readonly notice = byId('notice');

  constructor(
    private readonly session: Session,
    /** A rejected token: sign out, saying why. */
    private readonly unauthorized: (message: string) => void,
  ) {}

  show(view: View): void {
    for (const [name, part] of Object.entries(this.views)) part.hidden = name !== view;
  }

  isShown(view: View): boolean {
    return !this.views[view].hidden;
  }

  say(message: string): void {
    this.notice.textContent = message;
    this.notice.hidden = false;
  }

  /** Turns an API error into words in `target` (the notice line by default); a rejected token signs out. */
  report(err: unknown, target: HTMLElement = this.notice): void {
    if (!(err instanceof ApiError)) throw err;
    const { s } = this.session;
    if (err.status === 401) return this.unauthorized(s.badToken);
    target.textContent = err.status === 429 ? s.rateLimited(err.retryAfterS) : err.status === 0 ? s.networkError : err.message;
    if (target === this.notice) this.notice.hidden = false;
  }
}
