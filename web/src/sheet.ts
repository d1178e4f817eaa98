// The bottom sheet on a phone: the list peeks from below the map, a tap on
// its toggle opens it over most of the screen (app.css), and lowers it again.
import { t, type Lang } from './i18n.ts';

export class BottomSheet {
  private lang: Lang = 'zh';

  constructor(
    private readonly panel: HTMLElement,
    private readonly toggle: HTMLButtonElement,
    /** The map's size changed with the sheet's. */
    private readonly resized: () => void,
  ) {
    toggle.addEventListener('click', () => this.set(!this.expanded));
  }

  get expanded(): boolean {
    return this.panel.classList.contains('expanded');
  }

  set(expanded: boolean): void {
    if (this.expanded === expanded) return;
    this.panel.classList.toggle('expanded', expanded);
    this.toggle.setAttribute('aria-expanded', String(expanded));
    this.translate(this.lang);
    this.resized();
  }

  translate(lang: Lang): void {
    this.lang = lang;
    const s = t(lang);
    this.toggle.querySelector('.sheet-toggle-text')!.textContent = this.expanded ? s.sheetCollapse : s.sheetExpand;
  }
}
