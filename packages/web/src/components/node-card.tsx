import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { formatAgo, formatCount, formatDateTime, formatNumber } from '../lib/format';

export interface NodeCardProps {
  node: NodeSummary;
  /** this node's channels, in display order */
  channels: readonly ChannelSummary[];
  /** current time on the server's clock (ms) */
  now: number;
}

function ChannelReading({ channel }: { channel: ChannelSummary }) {
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
        title={[
          problem,
          channel.last_ts === null ? 'no reading yet' : `at ${formatDateTime(channel.last_ts)}`,
        ]
          .filter(Boolean)
          .join(', ')}
      >
        <span class="reading__number">{channel.last_value === null ? '—' : formatNumber(channel.last_value)}</span>
        {channel.last_value !== null && channel.unit !== '' && ' '}
        {channel.last_value !== null && channel.unit !== '' && <span class="reading__unit">{channel.unit}</span>}
        {problem !== null && <span class="reading__problem">{problem}</span>}
      </dd>
    </div>
  );
}

interface WarningProps {
  count: number;
  label: string;
  title?: string;
  testId?: string;
}

/** A counter that should be zero; shown only when it is not. */
function Warning({ count, label, title, testId }: WarningProps) {
  if (count <= 0) return null;
  return (
    <span class="stat stat--warning" title={title} data-testid={testId} data-count={count}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d="M8 1.5 15 14H1L8 1.5Z" fill="currentColor" />
        <path d="M8 6v3.5M8 11.5v.5" stroke="var(--surface)" stroke-width="1.6" stroke-linecap="round" />
      </svg>
      {formatCount(count)} {label}
    </span>
  );
}

/** One node: identity, online state, current values of its channels, and ingest counters. */
export function NodeCard({ node, channels, now }: NodeCardProps) {
  const headingId = `node-${node.id}-title`;
  const { stats } = node;
  const rejectTitle =
    stats.last_reject_reason === null
      ? undefined
      : `Last rejected${stats.last_reject_at === null ? '' : ` ${formatAgo(stats.last_reject_at, now)}`}: ${stats.last_reject_reason}`;
  const meta = [node.hostname, node.ip, node.agent_version === null ? null : `agent ${node.agent_version}`].filter(
    (part): part is string => part !== null && part !== '',
  );

  return (
    <article
      class="node-card"
      data-testid="node-card"
      data-node={node.name}
      data-online={String(node.online)}
      aria-labelledby={headingId}
    >
      <header class="node-card__header">
        <div class="node-card__title">
          <h3 id={headingId}>{node.display_name || node.name}</h3>
          {node.display_name !== node.name && <span class="node-card__name">{node.name}</span>}
        </div>
        <span class={`badge ${node.online ? 'badge--online' : 'badge--offline'}`} data-testid="node-status">
          <span class="badge__dot" aria-hidden="true" />
          {node.online ? 'Online' : 'Offline'}
        </span>
      </header>
      <p class="node-card__seen" data-testid="node-last-seen">
        {node.last_seen === null ? (
          'never seen'
        ) : (
          <time dateTime={new Date(node.last_seen).toISOString()} title={formatDateTime(node.last_seen)}>
            last seen {formatAgo(node.last_seen, now)}
          </time>
        )}
      </p>

      {channels.length === 0 ? (
        <p class="node-card__empty muted">No channels reported yet.</p>
      ) : (
        <dl class="readings">
          {channels.map((channel) => (
            <ChannelReading key={channel.id} channel={channel} />
          ))}
        </dl>
      )}

      <footer class="node-card__footer">
        <div class="node-card__stats">
          <span class="stat" data-testid="node-readings-stored">
            {formatCount(stats.readings_stored)} readings stored
          </span>
          <Warning count={stats.messages_rejected} label="rejected" title={rejectTitle} testId="node-rejected" />
          <Warning count={stats.publishes_refused} label="refused" title="Publishes to another node's topics" />
          <Warning count={stats.auth_failures} label="auth failures" title="Connections refused for a wrong credential" />
        </div>
        {meta.length > 0 && <div class="node-card__meta">{meta.join(' · ')}</div>}
      </footer>
    </article>
  );
}
