// What the page was sent with (data- attributes on <body>): the service's
// stale threshold, its time zone and its clock, and the language chosen
// before. Read once, when the page loads.
export const LANG_KEY = 'kongwei.lang';

const body = document.body;
export const defaultStaleAfterS = Number(body.dataset.staleAfterS) || 900;
/** The lots' time zone (the service's TIME_ZONE): opening and closing times are said on its clock, not the phone's. */
export const timeZone = (() => {
  const zone = body.dataset.timeZone;
  try {
    return zone ? new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone : undefined;
  } catch {
    return undefined;
  }
})();

// The server's clock, as the page was sent: ages and staleness are judged by
// it, not by a phone's clock that may be minutes off.
const clockOffsetMs = (() => {
  const serverTime = Number(body.dataset.serverTime);
  if (!Number.isFinite(serverTime)) return 0;
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  const receivedAt = nav ? performance.timeOrigin + nav.responseStart : Date.now();
  return serverTime - receivedAt;
})();
export const now = () => Date.now() + clockOffsetMs;

export function storedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}
