import { useEffect } from 'preact/hooks';
import { NavBar } from './components/nav-bar';
import { Link, usePath } from './lib/router';
import { matchRoute } from './pages/routes';
import { type Services, ServicesContext, useDashboard } from './state/services';

function NotFound({ path }: { path: string }) {
  return (
    <div class="empty-state">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Back to the overview</Link>
      </p>
    </div>
  );
}

function Shell() {
  const path = usePath();
  const { live } = useDashboard();
  const route = matchRoute(path);

  useEffect(() => {
    document.title = `${route?.label ?? 'Not found'} · Monitor Actuator`;
  }, [route]);

  const Page = route?.component;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <NavBar path={path} live={live} />
      <main id="main" class="main" tabIndex={-1}>
        {Page === undefined ? <NotFound path={path} /> : <Page />}
      </main>
    </>
  );
}

export function App({ services }: { services: Services }) {
  return (
    <ServicesContext.Provider value={services}>
      <Shell />
    </ServicesContext.Provider>
  );
}
