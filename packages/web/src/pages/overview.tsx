import { useMemo } from 'preact/hooks';
import type { ChannelSummary } from '@ma/protocol';
import { NodeCard } from '../components/node-card';
import { assignColors } from '../chart/palette';
import { Link } from '../lib/router';
import { useNow } from '../lib/use-now';
import { useDashboard, useServices } from '../state/services';
import { useFeatures } from '../state/features';
import { useFiringAlerts } from '../state/firing-alerts';
import { PageHeader } from '../components/ui/page-header';
import { plural } from '../lib/format';
import { EquipmentStrip } from './equipment';

/** Sensors first, then actuators; each in label order. */
export function byKindThenLabel(a: ChannelSummary, b: ChannelSummary): number {
  if (a.kind !== b.kind) return a.kind === 'sensor' ? -1 : 1;
  return a.label.localeCompare(b.label) || a.id - b.id;
}

/** Every node as a card: state, problems, current values with 24 h sparklines, health. */
export function OverviewPage() {
  const { store } = useServices();
  const dashboard = useDashboard();
  const now = useNow(1000) + dashboard.clockOffsetMs;
  const { nodes, channels } = dashboard;

  const channelsByNode = useMemo(() => {
    const map = new Map<string, ChannelSummary[]>();
    for (const channel of channels) {
      const list = map.get(channel.node) ?? [];
      list.push(channel);
      map.set(channel.node, list);
    }
    for (const list of map.values()) list.sort(byKindThenLabel);
    return map;
  }, [channels]);
  const colors = useMemo(() => assignColors(channels.map((c) => c.id)), [channels]);

  const firing = useFiringAlerts(useFeatures().alerts);
  const online = nodes.filter((n) => n.online).length;
  const offline = nodes.length - online;

  return (
    <>
      <PageHeader
        title="Overview"
        summary={
          dashboard.status === 'ready' ? (
            <span data-testid="overview-summary">
              {plural(nodes.length, 'node')} · {online} online
              {offline > 0 && <span class="page-header__alert"> · {offline} offline</span>} · {plural(channels.length, 'channel')}
              {firing.alerts.length > 0 && (
                <>
                  {' · '}
                  <Link href="/alerts" class="page-header__alert" data-testid="overview-firing">
                    {plural(firing.alerts.length, 'alert')} firing
                  </Link>
                </>
              )}
            </span>
          ) : undefined
        }
        actions={
          <Link href="/charts" class="button button--ghost">
            Open charts
          </Link>
        }
      />

      {dashboard.error !== null && (
        <div class="notice notice--error" role="alert">
          <span>
            {dashboard.status === 'error' ? 'Could not load the dashboard' : 'Could not refresh'}: {dashboard.error}
          </span>
          <button type="button" class="button" onClick={() => void store.load()}>
            Retry
          </button>
        </div>
      )}

      <section aria-labelledby="nodes-heading" class="nodes">
        <h2 id="nodes-heading" class="sr-only">
          Nodes
        </h2>
        {dashboard.status === 'loading' ? (
          <div class="node-grid" aria-busy="true">
            {[0, 1, 2].map((i) => (
              <div key={i} class="node-card node-card--skeleton" aria-hidden="true" />
            ))}
          </div>
        ) : nodes.length === 0 && dashboard.status === 'ready' ? (
          <div class="empty-state">
            <h3>No nodes yet</h3>
            <p>
              Add one with <code>ma node add &lt;name&gt;</code>, then start its agent. It appears here as soon as it connects.
            </p>
          </div>
        ) : (
          <div class="node-grid">
            {nodes.map((node) => (
              <NodeCard
                key={node.name}
                node={node}
                channels={channelsByNode.get(node.name) ?? []}
                now={now}
                serverNow={() => store.serverNow()}
                colors={colors}
                alerts={firing.byNode.get(node.name) ?? []}
              />
            ))}
          </div>
        )}
      </section>
      <EquipmentStrip />
    </>
  );
}
