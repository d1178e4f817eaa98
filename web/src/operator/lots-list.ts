// The operator's own lots, listed with their live count, status, last data
// time and gateways, each with its actions. Closing, reopening and deleting
// happen from here; editing, a new gateway, the occupancy and the change
// history open other views.
import type { LotView } from '../../../server/domain/lot.ts';
import { byId, el } from '../dom.ts';
import { freeText } from './lots-map.ts';
import type { BayKind } from '../../../server/domain/bay-kinds.ts';

/** The lot fields of each kind of bay (type-only imports keep the domain's zod out of the page). */
const KIND_FIELDS = [
  { kind: 'charging', bays: 'baysCharging', free: 'freeCharging', capacity: 'capacityCharging' },
  { kind: 'disabled', bays: 'baysDisabled', free: 'freeDisabled', capacity: 'capacityDisabled' },
  { kind: 'family', bays: 'baysFamily', free: 'freeFamily', capacity: 'capacityFamily' },
  { kind: 'women', bays: 'baysWomen', free: 'freeWomen', capacity: 'capacityWomen' },
] as const satisfies readonly { kind: BayKind; bays: keyof LotView; free: keyof LotView; capacity: keyof LotView }[];
import type { Session } from './session.ts';
import { statsStrings } from './stats-i18n.ts';
import type { Ui } from './ui.ts';

export interface LotsListHandlers {
  edit(id: string): void;
  newGateway(id: string): void;
  history(id: string): void;
  stats(id: string): void;
}

function button(text: string, action: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', `small ${action}`, text);
  b.type = 'button';
  b.dataset.action = action;
  b.addEventListener('click', onClick);
  return b;
}

export class LotsList {
  private readonly list = byId<HTMLUListElement>('own-lots');

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
    private readonly handlers: LotsListHandlers,
  ) {}

  /** The session's lots, by name; returns them in that order. */
  render(): LotView[] {
    const { session } = this;
    const sorted = [...session.lots.values()].sort((a, b) => session.lotName(a).localeCompare(session.lotName(b)));
    this.list.replaceChildren(...(sorted.length ? sorted.map((lot) => this.item(lot)) : [el('li', 'empty', session.s.noLots)]));
    return sorted;
  }

  /** Scrolls a lot's item into view. */
  reveal(id: string): void {
    this.list.querySelector<HTMLElement>(`[data-lot-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  private item(lot: LotView): HTMLLIElement {
    const { s } = this.session;
    const item = el('li', 'own-lot');
    item.dataset.lotId = lot.id;
    const head = el('div', 'head');
    head.append(el('span', 'name', this.session.lotName(lot)), el('span', `badge av-${lot.availability}`, `${freeText(lot)} ${s.of} ${lot.capacity}`));
    const meta = el('div', 'meta', `${lot.id} · ${s.status[lot.status]} · ${s.availability[lot.availability]}`);
    const last = el('div', 'last-event', `${s.lastEvent}: ${this.session.timeText(lot.updatedAt)}`);
    const actions = el('div', 'actions');
    actions.append(
      button(s.edit, 'edit', () => this.handlers.edit(lot.id)),
      lot.status === 'closed'
        ? button(s.reopen, 'reopen', () => void this.update(lot.id, { status: 'open' }))
        : button(s.close, 'close', () => void this.update(lot.id, { status: 'closed' })),
      button(s.newGateway, 'gateway', () => this.handlers.newGateway(lot.id)),
      button(statsStrings(this.session.lang).open, 'stats', () => this.handlers.stats(lot.id)),
      button(s.history, 'history', () => this.handlers.history(lot.id)),
      button(s.remove, 'delete', () => void this.delete(lot.id)),
    );
    item.append(head, meta, last, ...this.kindLines(lot), this.gatewayLine(lot), actions);
    return item;
  }

  /** Each kind with declared bays: its live free count, or why there is none. */
  private kindLines(lot: LotView): HTMLElement[] {
    const { s } = this.session;
    return KIND_FIELDS.filter(({ bays }) => lot[bays] !== null).map(({ kind, free, capacity }) => {
      const count = lot[free];
      const line = el('div', 'kind-line', count === null ? s.kindUnknown(s.kinds[kind], lot[capacity]) : s.kindFree(s.kinds[kind], count, lot[capacity]));
      line.dataset.kind = kind;
      return line;
    });
  }

  private gatewayLine(lot: LotView): HTMLElement {
    const { s } = this.session;
    const line = el('div', 'gateways');
    const own = this.session.gateways.filter((g) => g.lotIds.includes(lot.id));
    line.append(el('span', 'label', `${s.gateways}: `));
    if (own.length === 0) line.append(el('span', 'none', s.noGateways));
    for (const gateway of own) {
      const state = gateway.online === null ? 'unknown' : gateway.online ? 'online' : 'offline';
      const chip = el('span', `gateway-chip gw-${state}`, `${gateway.name ?? gateway.id} · ${gateway.online === null ? s.unknownOnline : gateway.online ? s.online : s.offline}`);
      chip.dataset.gatewayId = gateway.id;
      chip.title = gateway.id;
      line.append(chip);
    }
    return line;
  }

  /** Closes or reopens a lot. */
  private async update(id: string, patch: Record<string, unknown>): Promise<void> {
    try {
      const saved = await this.session.api!.updateLot(id, patch);
      this.session.lots.set(id, saved);
      this.session.changed();
    } catch (err) {
      this.ui.report(err);
    }
  }

  private async delete(id: string): Promise<void> {
    const { session } = this;
    const lot = session.lots.get(id);
    if (!lot || !confirm(session.s.confirmDelete(session.lotName(lot)))) return;
    try {
      await session.api!.deleteLot(id);
      session.lots.delete(id);
      session.gateways = session.gateways.filter((g) => !(g.lotIds.length === 1 && g.lotIds[0] === id));
      session.changed();
      this.ui.say(session.s.deleted(session.lotName(lot)));
    } catch (err) {
      this.ui.report(err);
    }
  }
}
