/** The page-wide services (store and live feed), handed to components through context. */
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { LiveClient } from '../api/live';
import type { DashboardSnapshot, DashboardStore } from './dashboard-store';

export interface Services {
  store: DashboardStore;
  live: LiveClient;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error('useServices() needs a <ServicesContext.Provider>');
  return services;
}

/** The current dashboard snapshot; re-renders when it changes. */
export function useDashboard(): DashboardSnapshot {
  const { store } = useServices();
  const [snapshot, setSnapshot] = useState(store.current);
  useEffect(() => {
    setSnapshot(store.current);
    return store.subscribe(setSnapshot);
  }, [store]);
  return snapshot;
}
