// The map's legend (a Leaflet control, bottom left): what each kind of
// marker means, drawn with the markers' own shapes and glyphs, so colour is
// never the only way to tell them apart (map-a11y.css). Open on a wide
// screen, folded to its button on a phone.
import L from 'leaflet';
import type { Availability } from '../../server/domain/lot.ts';
import { el } from './dom.ts';
import type { Lang } from './i18n.ts';
import { chartStrings } from './i18n-charts.ts';
import { pwaStrings } from './i18n-pwa.ts';

const KINDS: readonly Availability[] = ['available', 'almost_full', 'full', 'closed', 'unknown'];
/** Below this map width (a phone), the legend starts folded. */
const FOLDED_BELOW_PX = 700;

export class Legend {
  private readonly toggle = el('button', 'legend-toggle');
  private readonly list = el('ul', 'legend-list');
  private readonly items = new Map<Availability, { sample: HTMLElement; meaning: HTMLElement }>();
  /** How a forecast looks ("arrive in", arrival.ts): never like a live count. */
  private readonly forecast = { sample: el('span', 'legend-sample av-available forecast'), meaning: el('span', 'legend-meaning') };
  private lang: Lang = 'zh';

  constructor(map: L.Map) {
    this.toggle.type = 'button';
    this.toggle.id = 'legend-toggle';
    this.list.id = 'legend-list';
    this.toggle.setAttribute('aria-controls', this.list.id);
    for (const kind of KINDS) {
      const sample = el('span', `legend-sample av-${kind}`);
      sample.setAttribute('aria-hidden', 'true');
      const meaning = el('span', 'legend-meaning');
      const item = el('li', 'legend-item');
      item.dataset.availability = kind;
      item.append(sample, meaning);
      this.list.append(item);
      this.items.set(kind, { sample, meaning });
    }
    this.forecast.sample.setAttribute('aria-hidden', 'true');
    const forecast = el('li', 'legend-forecast');
    forecast.append(this.forecast.sample, this.forecast.meaning);
    this.list.append(forecast);
    this.toggle.addEventListener('click', () => this.setOpen(this.list.hidden === true));
    const { toggle, list } = this;
    const Control = L.Control.extend({
      onAdd: () => {
        const box = L.DomUtil.create('div', 'map-legend');
        box.append(toggle, list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    new Control({ position: 'bottomleft' }).addTo(map);
    this.setOpen(map.getContainer().clientWidth >= FOLDED_BELOW_PX);
  }

  translate(lang: Lang): void {
    this.lang = lang;
    const s = pwaStrings(lang);
    for (const [kind, { sample, meaning }] of this.items) {
      sample.textContent = s.legend[kind].sample;
      meaning.textContent = s.legend[kind].meaning;
    }
    this.forecast.sample.textContent = chartStrings(lang).legendSample;
    this.forecast.meaning.textContent = chartStrings(lang).legendMeaning;
    this.list.setAttribute('aria-label', s.legendTitle);
    this.label();
  }

  private setOpen(open: boolean): void {
    this.list.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    this.label();
  }

  private label(): void {
    const s = pwaStrings(this.lang);
    this.toggle.textContent = s.legendTitle;
    this.toggle.title = this.list.hidden ? s.legendShow : s.legendHide;
  }
}
