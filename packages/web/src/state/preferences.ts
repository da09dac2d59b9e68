/**
 * The logged-in user's display preferences (time zone, 12/24 h, °C/°F), kept on the server per user
 * (`/api/v1/me/preferences`). Loaded once before the first render; a change re-renders the app.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../auth/session';
import { setDisplayPrefs, type HourCycle, type TemperatureUnit } from '../lib/format';

export interface Preferences {
  time_zone: string | null;
  hour_cycle: HourCycle;
  temperature_unit: TemperatureUnit;
  views_imported_at: number | null;
  /** false for the bootstrap token (no account): changes cannot be saved */
  stored: boolean;
}

export const PREFS_EVENT = 'ma:preferences';
let current: Preferences = { time_zone: null, hour_cycle: 'auto', temperature_unit: 'C', views_imported_at: null, stored: false };

function apply(p: Preferences): void {
  current = p;
  setDisplayPrefs({ timeZone: p.time_zone ?? undefined, hourCycle: p.hour_cycle, temperatureUnit: p.temperature_unit });
  window.dispatchEvent(new Event(PREFS_EVENT));
}

/** Loads the preferences; on failure the defaults stay (the dashboard still works). */
export async function loadPreferences(): Promise<Preferences> {
  try {
    apply(await api<Preferences>('GET', '/me/preferences'));
  } catch {
    // keep the defaults
  }
  return current;
}

export async function savePreferences(change: Partial<Pick<Preferences, 'time_zone' | 'hour_cycle' | 'temperature_unit'>>): Promise<Preferences> {
  apply(await api<Preferences>('PATCH', '/me/preferences', change));
  return current;
}

export const currentPreferences = (): Preferences => current;

/** The current preferences; re-renders when they change. */
export function usePreferences(): Preferences {
  const [prefs, setPrefs] = useState(current);
  useEffect(() => {
    const update = (): void => setPrefs(current);
    window.addEventListener(PREFS_EVENT, update);
    return () => window.removeEventListener(PREFS_EVENT, update);
  }, []);
  return prefs;
}
