import { useEffect, useState } from 'preact/hooks';
import { DataTable } from '../components/ui/data-table';
import { PageHeader, Section } from '../components/ui/page-header';
import { formatDateTime } from '../lib/format';
import { AccessNav } from './access';
import * as eqApi from './equipment-api';
import type { UsageResponse } from './equipment-api';
import type { PageProps } from './routes';
import './equipment.css';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;

/** Usage statistics: totals, use by hour of week, utilisation per week, sessions; CSV export. */
export function UsagePage(_: PageProps) {
  const [u, setU] = useState<UsageResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void eqApi.getUsage().then(setU, (e: Error) => setError(e.message)), []);
  const max = Math.max(1, ...(u?.hour_of_week.flat() ?? [1]));
  return (
    <div data-testid="usage-page">
      <PageHeader title="Usage" summary={u ? `last 28 days: ${u.sessions.length} sessions` : undefined} actions={<a href="/api/v1/usage.csv" download data-testid="usage-csv">Export CSV</a>} />
      <AccessNav here="/access/usage" />
      {error && <p class="form-error" role="alert">{error}</p>}
      <Section title="Totals">
        <DataTable
          rows={u?.totals ?? []}
          loading={u === null}
          rowKey={(t) => t.equipment}
          caption="Usage totals"
          testid="usage-totals"
          empty={{ title: 'No sessions in this period' }}
          columns={[
            { key: 'e', header: 'Equipment', primary: true, cell: (t) => t.equipment },
            { key: 's', header: 'Sessions', numeric: true, cell: (t) => t.sessions },
            { key: 'h', header: 'In use', numeric: true, cell: (t) => hours(t.in_use_ms) },
            { key: 'p', header: 'People', numeric: true, cell: (t) => t.people },
            { key: 'w', header: 'Energy', numeric: true, cell: (t) => (t.energy_wh === null ? '-' : `${t.energy_wh.toFixed(1)} Wh`) },
          ]}
        />
      </Section>
      <Section title="Use by hour of week" description="Minutes in use in each hour, over the period.">
        <table class="heatmap" data-testid="heatmap">
          <caption class="visually-hidden">Minutes in use by weekday and hour</caption>
          <thead><tr><th />{Array.from({ length: 24 }, (_, h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {(u?.hour_of_week ?? []).map((row, d) => (
              <tr key={d}>
                <th scope="row">{DAYS[d]}</th>
                {row.map((m, h) => <td key={h} title={`${DAYS[d]} ${h}:00: ${m} min`} style={{ background: m > 0 ? `rgba(37, 99, 235, ${0.15 + (0.85 * m) / max})` : undefined }}>{m > 0 ? Math.round(m) : ''}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Utilisation per week">
        <DataTable rows={u?.utilisation ?? []} rowKey={(r) => `${r.equipment}${r.week}`} caption="Utilisation" empty={{ title: 'Nothing yet' }} columns={[
          { key: 'e', header: 'Equipment', primary: true, cell: (r) => r.equipment },
          { key: 'w', header: 'Week', cell: (r) => r.week },
          { key: 'h', header: 'In use', numeric: true, cell: (r) => hours(r.in_use_ms) },
          { key: 's', header: 'Share of the week', numeric: true, cell: (r) => `${(r.share * 100).toFixed(1)} %` },
        ]} />
      </Section>
      <Section title="Sessions" description="Names appear only to people with admin on the equipment's nodes.">
        <DataTable rows={u?.sessions ?? []} rowKey={(s) => s.id} caption="Sessions" testid="usage-sessions" empty={{ title: 'No sessions' }} initialSort={{ key: 'b', dir: 'desc' }} columns={[
          { key: 'e', header: 'Equipment', primary: true, cell: (s) => s.equipment },
          { key: 'p', header: 'Person', cell: (s) => s.person ?? '—' },
          { key: 'b', header: 'Started', sort: (s) => s.started_at, cell: (s) => formatDateTime(s.started_at) },
          { key: 'd', header: 'Duration', numeric: true, cell: (s) => (s.duration_ms === null ? 'running' : `${Math.round(s.duration_ms / 60_000)} min`) },
          { key: 'w', header: 'Energy', numeric: true, cell: (s) => (s.energy_wh === null ? '-' : `${s.energy_wh.toFixed(2)} Wh`) },
          { key: 'r', header: 'Ended by', cell: (s) => s.end_reason ?? '-' },
        ]} />
      </Section>
    </div>
  );
}
