// The operator page's state, held in one place: the language, the API client
// and the signed-in operator, their lots and gateways, and the feeds that
// keep those current (live counts over Socket.IO, gateway state by polling).
// Views read it and render when it says it changed.
import type { LotView } from '../../../server/domain/lot.ts';
import type { GatewayView, MeAnswer } from '../../../server/domain/operator-api.ts';
import { lotName, type Lang } from '../i18n.ts';
import { LiveLots } from '../live.ts';
import type { OperatorApi } from './api.ts';
import { strings, type OperatorStrings } from './i18n.ts';

const GATEWAY_POLL_MS = 20_000;

export class Session {
  api: OperatorApi | undefined;
  me: MeAnswer | undefined;
  readonly lots = new Map<string, LotView>();
  gateways: GatewayView[] = [];
  private live: LiveLots | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(public lang: Lang) {}

  /** The page's strings in its language. */
  get s(): OperatorStrings {
    return strings(this.lang);
  }

  lotName(lot: LotView): string {
    return lotName(lot, this.lang);
  }

  timeText(iso: string | null): string {
    return iso ? new Date(iso).toLocaleString(this.lang === 'zh' ? 'zh-CN' : 'en-GB') : this.s.never;
  }

  /** Calls `listener` whenever the lots or gateways change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Signed in: follows the operator's lots live and polls the gateways' state. */
  begin(api: OperatorApi, me: MeAnswer): void {
    this.api = api;
    this.me = me;
    this.live = new LiveLots({ ids: () => this.lots.keys() }, {
      snapshot: (lots) => {
        for (const lot of lots) this.lots.set(lot.id, lot);
        this.changed();
      },
      // Only the lots held: a push for one just deleted here does not bring it back.
      update: (lots) => this.merge(lots),
      live: (changes) => this.merge(changes.flatMap((change) => {
        const held = this.lots.get(change.id);
        return held ? [{ ...held, ...change }] : [];
      })),
      remove: (ids) => {
        for (const id of ids) this.lots.delete(id);
        this.changed();
      },
      connection: () => {},
    });
    this.live.start();
    this.pollTimer = setInterval(() => void this.refreshGateways(), GATEWAY_POLL_MS);
  }

  /** Signed out: forgets everything and closes the feeds. */
  end(): void {
    this.api = undefined;
    this.me = undefined;
    clearInterval(this.pollTimer);
    this.live?.stop();
    this.live = undefined;
    this.lots.clear();
    this.gateways = [];
    this.changed();
  }

  /** The operator's lots and gateways, afresh from the API; then live counts for them. */
  async loadLots(): Promise<void> {
    const api = this.api;
    if (!api) return;
    const answer = await api.myLots();
    if (api !== this.api) return; // signed out meanwhile
    this.lots.clear();
    for (const lot of answer.lots) this.lots.set(lot.id, lot);
    this.gateways = answer.gateways;
    this.changed();
    this.resubscribe();
  }

  /** Subscribes to the lots held now (one was added). */
  resubscribe(): void {
    this.live?.resubscribe();
  }

  private merge(lots: LotView[]): void {
    let changed = false;
    for (const lot of lots) {
      if (!this.lots.has(lot.id)) continue;
      this.lots.set(lot.id, lot);
      changed = true;
    }
    if (changed) this.changed();
  }

  private async refreshGateways(): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      const { gateways } = await api.myLots();
      if (api !== this.api) return;
      this.gateways = gateways;
      this.changed();
    } catch {
      // The next poll tries again; live counts keep coming over the socket.
    }
  }
}
