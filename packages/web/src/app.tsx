import { useEffect } from 'preact/hooks';
import { NavBar } from './components/nav-bar';
import { ToastProvider } from './components/ui/toast';
import { Link, useLocation } from './lib/router';
import { matchRoute, navRoutes } from './pages/routes';
import { useFeatures } from './state/features';
import { type Services, ServicesContext, useDashboard } from './state/services';

function NotFound({ path }: { path: string }) {
  return (
    <div class="empty-state" data-testid="not-found">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Back to the overview</Link>
      </p>
    </div>
  );
}

function Shell({ kiosk }: { kiosk: boolean }) {
  const { path, search } = useLocation();
  const { live } = useDashboard();
  const features = useFeatures();
  const match = matchRoute(path, features);

  useEffect(() => {
    document.title = `${match?.route.label ?? 'Not found'} · Monitor Actuator`;
  }, [match?.route]);

  const Page = match?.route.component;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      {!kiosk && <NavBar path={path} live={live} routes={navRoutes(features)} />}
      <main id="main" class="main" tabIndex={-1}>
        {Page === undefined || match === null ? <NotFound path={path} /> : <Page params={match.params} search={search} />}
      </main>
    </>
  );
}

export function App({ services, kiosk }: { services: Services; kiosk: boolean }) {
  return (
    <ServicesContext.Provider value={services}>
      <ToastProvider>
        <Shell kiosk={kiosk} />
      </ToastProvider>
    </ServicesContext.Provider>
  );
}
