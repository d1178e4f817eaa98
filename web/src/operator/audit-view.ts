// A lot's history: the audit trail, newest first, each change as
// "field: from → to".
import { byId, el } from '../dom.ts';
import type { Session } from './session.ts';
import type { Ui } from './ui.ts';

function valueText(value: unknown): string {
  return value === null || value === undefined ? '∅' : typeof value === 'string' ? value : JSON.stringify(value);
}

export class AuditView {
  private readonly title = byId('audit-title');
  private readonly entries = byId<HTMLOListElement>('audit-entries');

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
  ) {
    byId<HTMLButtonElement>('audit-done').addEventListener('click', () => this.ui.show('lots'));
  }

  async show(id: string): Promise<void> {
    const { session } = this;
    const lot = session.lots.get(id);
    try {
      const { entries } = await session.api!.audit(id);
      const { s } = session;
      this.title.textContent = s.auditTitle(lot ? session.lotName(lot) : id);
      this.entries.replaceChildren(
        ...(entries.length === 0 ? [el('li', undefined, s.noAudit)] : entries.reverse().map((entry) => {
          const item = el('li');
          item.append(el('div', 'audit-head', `${session.timeText(entry.at)} · ${entry.actor.name} · ${s.actions[entry.action] ?? entry.action}`));
          const changes = el('ul', 'audit-changes');
          for (const [field, { from, to }] of Object.entries(entry.changes)) {
            if (entry.action === 'lot.create' && to === null) continue;
            changes.append(el('li', undefined, `${field}: ${valueText(from)} → ${valueText(to)}`));
          }
          item.append(changes);
          return item;
        })),
      );
      this.ui.show('audit');
    } catch (err) {
      this.ui.report(err);
    }
  }
}
