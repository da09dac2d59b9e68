import { chartQuery, parseChartQuery, type ChartUrlState } from '../chart/chart-url';
import { ChartPanel } from '../components/chart-panel';
import { SavedViews } from '../components/saved-views';
import { navigate } from '../lib/router';
import { useDashboard } from '../state/services';
import type { PageProps } from './routes';

/** Any set of channels on one chart; the URL holds the channels and the window, so every view is a link. */
export function ChartsPage({ search }: PageProps) {
  const dashboard = useDashboard();
  const state = parseChartQuery(search);
  const query = chartQuery(state, new URLSearchParams(search));
  const onChange = (next: ChartUrlState, options?: { replace?: boolean }): void => {
    const q = chartQuery(next, new URLSearchParams(search));
    navigate(q === '' ? '/charts' : `/charts?${q}`, options);
  };
  return (
    <>
      <header class="page-header">
        <h1>Charts</h1>
      </header>
      {dashboard.status === 'ready' ? (
        <ChartPanel
          nodes={dashboard.nodes}
          channels={dashboard.channels}
          state={state}
          onChange={onChange}
          toolbar={<SavedViews query={query} />}
        />
      ) : dashboard.status === 'error' ? (
        <div class="notice notice--error" role="alert">
          Could not load channels: {dashboard.error}
        </div>
      ) : (
        <div class="panel panel--skeleton" aria-busy="true" />
      )}
    </>
  );
}
