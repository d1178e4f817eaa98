// The lot form as a view: opened for a new lot (from the map or the "add"
// button) or to edit one, its point picked on the map; on save, the API's
// field errors show beside their fields.
import { byId } from '../dom.ts';
import { ApiError } from './api.ts';
import { LotForm } from './form.ts';
import type { OperatorStrings } from './i18n.ts';
import type { LotsMap } from './lots-map.ts';
import type { Session } from './session.ts';
import type { Ui } from './ui.ts';

export class LotEditor {
  private readonly element = byId<HTMLFormElement>('lot-form');
  private readonly title = byId('lot-form-title');
  private readonly error = byId('form-error');
  private readonly form = new LotForm(byId('lot-fields'));

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
    private readonly map: LotsMap,
  ) {
    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save();
    });
    byId<HTMLButtonElement>('lot-cancel').addEventListener('click', () => this.close());
  }

  translate(s: OperatorStrings): void {
    this.form.translate(s);
  }

  /** Opens the form for a new lot (no id) or to edit one. */
  open(id: string | undefined): void {
    const lot = id ? this.session.lots.get(id) : undefined;
    const { s } = this.session;
    this.form.load(lot, id);
    this.title.textContent = lot ? s.editLotTitle(this.session.lotName(lot)) : s.newLotTitle;
    this.error.textContent = '';
    this.map.clearPick();
    this.ui.show('form');
  }

  close(): void {
    this.map.clearPick();
    this.form.editing = undefined;
    this.ui.show('lots');
  }

  /** A new lot at the map's centre. */
  openNew(): void {
    this.open(undefined);
    const center = this.map.center();
    this.place(center.lat, center.lon);
  }

  /** A click on the map places the lot being edited, or starts a new one from the list (never over a shown secret). */
  mapClicked(lat: number, lon: number): void {
    if (!this.ui.isShown('form') && !this.ui.isShown('lots')) return;
    if (!this.ui.isShown('form')) this.open(undefined);
    this.place(lat, lon);
  }

  private place(lat: number, lon: number): void {
    this.form.setPoint(lat, lon);
    this.map.placePick(lat, lon);
  }

  private async save(): Promise<void> {
    const { session } = this;
    if (!session.api) return;
    this.error.textContent = '';
    const editing = this.form.editing;
    const payload = this.form.payload();
    try {
      const saved = editing ? await session.api.updateLot(editing, payload) : await session.api.createLot(payload);
      session.lots.set(saved.id, saved);
      this.close();
      session.changed();
      session.resubscribe();
      this.ui.say(editing ? session.s.saved : session.s.created(saved.id));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed' || err instanceof ApiError && err.status === 409) {
        const elsewhere = this.form.showErrors(err.fields);
        this.error.textContent = [session.s.fixFields, ...elsewhere].join(' ');
      } else this.ui.report(err, this.error);
    }
  }
}
