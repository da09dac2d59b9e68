import { render } from 'preact';
import './styles.css';
import './components/ui/ui.css';
import { LiveClient } from './api/live';
import { App } from './app';
import { fetchMe, goToLogin, installCsrfFetch } from './auth/session';
import { startKiosk } from './lib/kiosk';
import { startTheme } from './lib/theme';
import { DashboardStore } from './state/dashboard-store';
import { LoginPage } from './pages/login';

startTheme();
const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');

/** Nothing but the login page loads until someone is logged in (issue #5). */
async function boot(appRoot: HTMLElement): Promise<void> {
  installCsrfFetch();
  if (location.pathname === '/login') return render(<LoginPage />, appRoot);
  if ((await fetchMe()) === null) return goToLogin();
  const kiosk = startKiosk();
  const live = new LiveClient();
  const store = new DashboardStore();
  store.start(live);
  live.start();
  render(<App services={{ store, live }} kiosk={kiosk} />, appRoot);
}
void boot(root);
