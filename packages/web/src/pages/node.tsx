import { useMemo, useState } from 'preact/hooks';
import type { ChannelSummary } from '@ma/protocol';
import type { ChartSeriesDef } from '../chart/chart-controller';
import { seriesLabel } from '../chart/chart-selection';
import { assignColors } from '../chart/palette';
import { TIME_RANGES, relative, type ChartWindow } from '../chart/time-ranges';
import { ChannelTable } from '../components/channel-table';
import { ConnectionHistory } from '../components/connection-history';
import { LiveChart } from '../components/live-chart';
import { TunnelStatus } from '../components/tunnel-status';
import { AlertBanner, HealthRow } from '../components/node-card';
import { useFeatures } from '../state/features';
import { useFiringAlerts } from '../state/firing-alerts';
import { formatAgo, formatCount, formatDateTime } from '../lib/format';
import { SYSTEM_KEYS, formatDuration, healthItems, isSystemChannel, nodeProblems } from '../lib/node-health';
import { Link } from '../lib/router';
import { useNow } from '../lib/use-now';
import { useDashboard, useServices } from '../state/services';
import { EquipmentStrip } from './equipment';
import { byKindThenLabel } from './overview';
import type { PageProps } from './routes';

const HEALTH_CHART_KEYS: string[] = [SYSTEM_KEYS.cpu, SYSTEM_KEYS.wifi, SYSTEM_KEYS.disk];
const HEALTH_RANGES = TIME_RANGES.filter((r) => ['1h', '24h', '7d', '30d'].includes(r.key));

function Fact({ label, children, testId }: { label: string; children: preact.ComponentChildren; testId?: string }) {
  return (
    <div class="fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** One node: identity and state, its channels (rename), health history, connection history. */
export function NodePage({ params }: PageProps) {
  const name = params.name ?? '';
  const { store } = useServices();
  const dashboard = useDashboard();
  const now = useNow(1000) + dashboard.clockOffsetMs;
  const node = dashboard.nodes.find((n) => n.name === name);
  const channels = useMemo(() => dashboard.channels.filter((c) => c.node === name).sort(byKindThenLabel), [dashboard.channels, name]);
  const [healthWindow, setHealthWindow] = useState<ChartWindow>(relative(TIME_RANGES[2]!));
  const colors = useMemo(() => assignColors(dashboard.channels.map((c) => c.id)), [dashboard.channels]);
  const firing = useFiringAlerts(useFeatures().alerts).byNode.get(name) ?? [];

  const healthChannels = HEALTH_CHART_KEYS.map((k) => channels.find((c) => c.key === k)).filter((c): c is ChannelSummary => c !== undefined);
  const healthKey = healthChannels.map((c) => `${c.id}:${c.label}`).join(',');
  const healthSeries = useMemo<ChartSeriesDef[]>(
    () => healthChannels.map((c) => ({ id: c.id, label: seriesLabel(c), unit: c.unit, color: colors.get(c.id) ?? '#888' })),
    [healthKey, colors],
  );

  if (dashboard.status !== 'ready') return <div class="panel panel--skeleton" aria-busy="true" />;
  if (node === undefined) {
    return (
      <div class="empty-state" data-testid="not-found">
        <h1>No node named “{name}”</h1>
        <p>
          <Link href="/">Back to the overview</Link>
        </p>
      </div>
    );
  }

  const uptime = channels.find((c) => c.key === SYSTEM_KEYS.uptime);
  const uptimeMs = uptime?.last_value != null && uptime.last_ts !== null && node.online ? uptime.last_value * 1000 + (now - uptime.last_ts) : null;
  const problems = nodeProblems(node, channels);
  const sensors = channels.filter((c) => !isSystemChannel(c) && c.kind === 'sensor');

  return (
    <>
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <Link href="/">Overview</Link> <span aria-hidden="true">/</span> <span>{node.display_name}</span>
      </nav>
      <header class="page-header node-header" data-testid="node-page" data-node={node.name} data-online={String(node.online)} data-alert={firing.length > 0 ? 'firing' : 'none'}>
        <h1>{node.display_name}</h1>
        <span class={`badge ${node.online ? 'badge--online' : 'badge--offline'}`} data-testid="node-status">
          <span class="badge__dot" aria-hidden="true" />
          {node.online ? 'Online' : 'Offline'}
        </span>
        <p class="page-header__summary">
          {node.last_seen === null ? 'never seen' : `last seen ${formatAgo(node.last_seen, now)}`}
        </p>
        {sensors.length > 0 && (
          <Link href={`/charts?ch=${sensors.map((c) => c.id).join(',')}&range=24h`} class="button page-header__action" data-testid="node-chart-link">
            Chart sensors
          </Link>
        )}
      </header>

      <AlertBanner alerts={firing} variant="page" />

      {problems.length > 0 && (
        <ul class="problems problems--page" aria-label="Problems">
          {problems.map((p) => (
            <li key={p.text} class={`problem problem--${p.level}`} data-testid="node-problem">
              {p.text}
            </li>
          ))}
        </ul>
      )}

      <section class="panel" aria-labelledby="facts-heading">
        <h2 id="facts-heading" class="sr-only">
          Details
        </h2>
        <dl class="facts">
          <Fact label="Name">{node.name}</Fact>
          <Fact label="Agent version" testId="node-agent-version">
            {node.agent_version ?? '—'}
          </Fact>
          <Fact label="IP address" testId="node-ip">
            {node.ip ?? '—'}
          </Fact>
          <Fact label="Hostname">{node.hostname ?? '—'}</Fact>
          <Fact label="Uptime" testId="node-uptime">
            {uptimeMs !== null ? formatDuration(uptimeMs) : node.started_at !== null && node.online ? `agent up ${formatDuration(now - node.started_at)}` : '—'}
          </Fact>
          <Fact label="Readings stored">{formatCount(node.stats.readings_stored)}</Fact>
          <Fact label="SSH tunnel port">{node.tunnel_port}</Fact>
          <Fact label="Registered">{formatDateTime(node.created_at)}</Fact>
        </dl>
        <HealthRow items={healthItems(channels)} />
      </section>
      <EquipmentStrip node={node.name} />

      <section class="panel" aria-labelledby="channels-heading">
        <header class="panel__header">
          <h2 id="channels-heading">Channels</h2>
        </header>
        <ChannelTable channels={channels} />
      </section>

      {healthSeries.length > 0 && (
        <section class="panel" aria-labelledby="health-heading">
          <header class="panel__header">
            <h2 id="health-heading">Health history</h2>
            <div class="segmented" role="group" aria-label="Health range">
              {HEALTH_RANGES.map((r) => (
                <button
                  key={r.key}
                  type="button"
                  class="segmented__button"
                  aria-pressed={healthWindow.kind === 'relative' && healthWindow.range.key === r.key}
                  onClick={() => setHealthWindow(relative(r))}
                >
                  {r.label}
                </button>
              ))}
            </div>
          </header>
          <LiveChart series={healthSeries} window={healthWindow} description="node health" />
        </section>
      )}

      <section class="panel" aria-labelledby="connections-heading">
        <header class="panel__header">
          <h2 id="connections-heading">Connection history</h2>
          <span class="muted">last 7 days</span>
        </header>
        <ConnectionHistory node={node.name} now={() => store.serverNow()} refreshKey={String(node.online)} />
      </section>

      <section class="panel" aria-labelledby="tunnel-heading">
        <header class="panel__header">
          <h2 id="tunnel-heading">Remote access</h2>
          <span class="muted">reverse SSH tunnel</span>
        </header>
        <TunnelStatus node={node.name} refreshKey={String(node.online)} />
      </section>
    </>
  );
}
