/**
 * Light, dark or follow the system. The choice is kept in localStorage; `?theme=dark|light` in the URL wins
 * (wall screens, screenshots). Applied as `data-theme` on <html>, which the CSS tokens key on.
 */
export type ThemeChoice = 'auto' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'ma.theme';
export const THEME_EVENT = 'ma:theme';

function isChoice(v: unknown): v is ThemeChoice {
  return v === 'auto' || v === 'light' || v === 'dark';
}

export function storedThemeChoice(): ThemeChoice {
  const fromUrl = new URLSearchParams(location.search).get('theme');
  if (isChoice(fromUrl)) return fromUrl;
  try {
    const stored = localStorage.getItem(KEY);
    return isChoice(stored) ? stored : 'auto';
  } catch {
    return 'auto';
  }
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'auto' ? (systemDark ? 'dark' : 'light') : choice;
}

const systemDark = (): boolean => matchMedia('(prefers-color-scheme: dark)').matches;

/** The theme in effect now. */
export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export function applyTheme(choice: ThemeChoice): void {
  const theme = resolveTheme(choice, systemDark());
  const root = document.documentElement;
  if (root.dataset.theme === theme) return;
  root.dataset.theme = theme;
  root.style.colorScheme = theme;
  window.dispatchEvent(new Event(THEME_EVENT));
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    localStorage.setItem(KEY, choice);
  } catch {
    // private mode: the choice lasts for this page only
  }
  applyTheme(choice);
}

/** Applies the stored choice and follows system changes while the choice is `auto`. */
export function startTheme(): void {
  applyTheme(storedThemeChoice());
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme(storedThemeChoice()));
}
