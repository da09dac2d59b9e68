import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { displayUnit, formatAgo, formatCount, formatDateTime, formatNumber, plural, toDisplayUnit } from '../lib/format';
import type { AlertView } from '../pages/alerts-api';
import { healthItems, mainChannels, nodeProblems, type HealthItem } from '../lib/node-health';
import { Link } from '../lib/router';
import { Sparkline } from './sparkline';

export interface NodeCardProps {
  node: NodeSummary;
  /** this node's channels, in display order */
  channels: readonly ChannelSummary[];
  /** current time on the server's clock (ms) */
  now: number;
  serverNow: () => number;
  colors: ReadonlyMap<number, string>;
  /** alerts firing on this node now (most severe first) */
  alerts?: readonly AlertView[];
}

function ChannelReading({ channel, serverNow, color }: { channel: ChannelSummary; serverNow: () => number; color: string }) {
  const missing = channel.last_value === null || !channel.available;
  const problem = channel.error ?? (!channel.available ? 'unavailable' : null);
  return (
    <div class={`reading${missing ? ' reading--missing' : ''}`}>
      <dt class="reading__label">
        {channel.label}
        {channel.kind === 'actuator' && <span class="tag">actuator</span>}
      </dt>
      <dd
        class="reading__value"
        data-testid="channel-value"
        data-channel={channel.id}
        data-value={channel.last_value ?? ''}
        title={[problem, channel.last_ts === null ? 'no reading yet' : `at ${formatDateTime(channel.last_ts)}`].filter(Boolean).join(', ')}
      >
        <span class="reading__number">{channel.last_value === null ? '—' : formatNumber(toDisplayUnit(channel.last_value, channel.unit).value)}</span>
        {channel.last_value !== null && channel.unit !== '' && <span class="reading__unit">{displayUnit(channel.unit)}</span>}
        {problem !== null && <span class="reading__problem">{problem}</span>}
      </dd>
      {channel.kind === 'sensor' && (
        <dd class="reading__spark">
          <Sparkline channel={channel.id} now={serverNow} color={color} refreshKey={channel.last_ts ?? 0} label={channel.label} />
        </dd>
      )}
    </div>
  );
}

const HEALTH_ICONS: Record<HealthItem['key'], string> = {
  wifi: 'M2 7a12 12 0 0 1 16 0M5 10.5a7.5 7.5 0 0 1 10 0M8 14a3 3 0 0 1 4 0M10 17h0',
  cpu: 'M6 6h8v8H6zM8 2v3M12 2v3M8 15v3M12 15v3M2 8h3M2 12h3M15 8h3M15 12h3',
  disk: 'M3 5h14v10H3zM3 11h14M13.5 13h1',
};

export function HealthRow({ items }: { items: readonly HealthItem[] }) {
  if (items.length === 0) return null;
  return (
    <ul class="health" aria-label="Node health">
      {items.map((item) => (
        <li key={item.key} class={`health__item health__item--${item.level}`} data-testid="node-health" data-health={item.key} data-level={item.level} title={item.channel.label}>
          <svg viewBox="0 0 20 20" width="14" height="14" aria-hidden="true">
            <path d={HEALTH_ICONS[item.key]} fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
          <span class="health__label">{item.label}</span>
          <span class="health__value">{item.value === null ? '—' : `${Math.round(toDisplayUnit(item.value, item.unit).value)} ${displayUnit(item.unit)}`}</span>
        </li>
      ))}
    </ul>
  );
}

/** One node: identity, online state, problems, current values with 24 h sparklines, health, counters. */
/** What fires on a node, as a link to the Alerts page: the most severe first, then how many more. */
export function AlertBanner({ alerts, variant }: { alerts: readonly AlertView[]; variant: 'card' | 'page' }) {
  const first = alerts[0];
  if (first === undefined) return null;
  return (
    <Link href="/alerts" class={`alert-banner alert-banner--${variant} alert-banner--${first.severity}`} data-testid="node-alert" data-severity={first.severity} data-count={alerts.length}>
      <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
        <path d="M10 2.5a5 5 0 0 0-5 5v3.2L3.5 14h13L15 10.7V7.5a5 5 0 0 0-5-5ZM8 16a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linejoin="round" />
      </svg>
      <span class="alert-banner__text">
        <strong>{first.severity === 'critical' ? 'Critical' : first.severity === 'warning' ? 'Warning' : 'Info'}:</strong> {first.summary}
        {alerts.length > 1 && <span class="alert-banner__more"> · {plural(alerts.length - 1, 'more alert')}</span>}
      </span>
    </Link>
  );
}

export function NodeCard({ node, channels, now, serverNow, colors, alerts = [] }: NodeCardProps) {
  const headingId = `node-${node.id}-title`;
  const main = mainChannels(channels);
  const shown = main.length > 0 ? main : channels.slice(0, 3);
  const problems = nodeProblems(node, channels).filter((p) => p.text !== 'Offline' && p.text !== 'Never connected');
  const meta = [node.ip, node.agent_version === null ? null : `agent ${node.agent_version}`].filter((p): p is string => p !== null && p !== '');

  return (
    <article
      class={`node-card${node.online ? '' : ' node-card--offline'}${alerts.length > 0 ? ` node-card--alerting node-card--alerting-${alerts[0]!.severity}` : ''}`}
      data-testid="node-card"
      data-node={node.name}
      data-online={String(node.online)}
      data-alert={alerts.length > 0 ? 'firing' : 'none'}
      aria-labelledby={headingId}
    >
      <header class="node-card__header">
        <div class="node-card__title">
          <h3 id={headingId}>
            <Link href={`/nodes/${encodeURIComponent(node.name)}`} class="node-card__link" data-testid="node-link">
              {node.display_name || node.name}
            </Link>
          </h3>
          <p class="node-card__seen" data-testid="node-last-seen">
            {node.last_seen === null ? (
              'never seen'
            ) : (
              <time dateTime={new Date(node.last_seen).toISOString()} title={formatDateTime(node.last_seen)}>
                last seen {formatAgo(node.last_seen, now)}
              </time>
            )}
          </p>
        </div>
        <span class={`badge ${node.online ? 'badge--online' : 'badge--offline'}`} data-testid="node-status">
          <span class="badge__dot" aria-hidden="true" />
          {node.online ? 'Online' : 'Offline'}
        </span>
      </header>

      <AlertBanner alerts={alerts} variant="card" />

      {problems.length > 0 && (
        <ul class="problems" aria-label="Problems">
          {problems.slice(0, 4).map((p) => (
            <li key={p.text} class={`problem problem--${p.level}`} data-testid="node-problem" data-level={p.level}>
              {p.text}
            </li>
          ))}
        </ul>
      )}

      {shown.length === 0 ? (
        <p class="node-card__empty muted">No channels reported yet.</p>
      ) : (
        <dl class="readings">
          {shown.map((channel) => (
            <ChannelReading key={channel.id} channel={channel} serverNow={serverNow} color={colors.get(channel.id) ?? 'var(--accent)'} />
          ))}
        </dl>
      )}

      <HealthRow items={healthItems(channels)} />

      <footer class="node-card__footer">
        <span class="stat" data-testid="node-readings-stored">
          {plural(node.stats.readings_stored, 'reading')} stored
        </span>
        {node.stats.messages_rejected > 0 && (
          <span class="stat stat--warning" data-testid="node-rejected" data-count={node.stats.messages_rejected} title={node.stats.last_reject_reason ?? undefined}>
            {formatCount(node.stats.messages_rejected)} rejected
          </span>
        )}
        {meta.length > 0 && <span class="node-card__meta">{meta.join(' · ')}</span>}
      </footer>
    </article>
  );
}
