/**
 * Kiosk mode for wall screens: `?kiosk=1` hides the chrome and enlarges numbers; `?kiosk=0` leaves it. The flag
 * lasts for the browser tab (sessionStorage), so moving between pages keeps it.
 */
const KEY = 'ma.kiosk';
/** A wall screen runs for weeks: reload the whole page now and then to pick up new builds and shed leaks. */
export const KIOSK_RELOAD_MS = 6 * 60 * 60 * 1000;

export function kioskFromUrl(search: string, stored: string | null): boolean {
  const flag = new URLSearchParams(search).get('kiosk');
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  return stored === '1';
}

export function startKiosk(): boolean {
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(KEY);
  } catch {
    stored = null;
  }
  const on = kioskFromUrl(location.search, stored);
  try {
    sessionStorage.setItem(KEY, on ? '1' : '0');
  } catch {
    // ignore: the URL flag still applies to this page
  }
  document.documentElement.classList.toggle('kiosk', on);
  if (on) setTimeout(() => location.reload(), KIOSK_RELOAD_MS);
  return on;
}
