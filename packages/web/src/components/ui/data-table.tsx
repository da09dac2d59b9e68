/**
 * The one table: sortable columns (click a header; `aria-sort` says the order), an empty state instead of a
 * lonely header row, and on a phone (≤ 640 px) each row reflows into a card of "label: value" lines, so no
 * table ever scrolls the page sideways.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { EmptyState } from './page-header';

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ComponentChildren;
  /** makes the column sortable by this value */
  sort?: (row: T) => string | number;
  align?: 'start' | 'end' | 'center';
  /** on a phone card this cell is the card's title line (no label) */
  primary?: boolean;
  /** a cell of actions: no label on the phone card, right-aligned */
  actions?: boolean;
  /** numbers: tabular digits, right-aligned */
  numeric?: boolean;
}

export interface DataTableProps<T> {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string | number;
  /** what the table is, for screen readers (visually hidden caption) */
  caption: string;
  empty: { title: string; text?: ComponentChildren };
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  rowAttrs?: (row: T) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<string, unknown>;
  testid?: string;
  /** still loading: show nothing rather than a false "empty" */
  loading?: boolean;
}

export function DataTable<T>({ rows, columns, rowKey, caption, empty, initialSort, rowAttrs, testid, loading = false }: DataTableProps<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.key === sort.key);
    if (!col?.sort || !sort) return rows;
    const value = col.sort;
    const dir = sort.dir === 'asc' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true })) * dir;
    });
  }, [rows, columns, sort]);

  if (loading) return <div class="data-table__loading" aria-busy="true" data-testid={testid} />;
  if (rows.length === 0)
    return (
      <div data-testid={testid}>
        <EmptyState title={empty.title} testid="table-empty">
          {empty.text}
        </EmptyState>
      </div>
    );

  const toggle = (key: string) => setSort((s) => (s?.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' }));
  const cellClass = (c: Column<T>) =>
    [c.align ? `align-${c.align}` : c.numeric || c.actions ? 'align-end' : '', c.numeric ? 'num' : '', c.primary ? 'is-primary' : '', c.actions ? 'is-actions' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <div class="data-table" data-testid={testid}>
      <table class="table data-table__table">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} scope="col" class={cellClass(c)} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {c.sort ? (
                    <button type="button" class="th-sort" onClick={() => toggle(c.key)} data-testid="sort" data-column={c.key}>
                      {c.header}
                      <span class="th-sort__arrow" aria-hidden="true">
                        {active ? (sort.dir === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : c.actions ? (
                    <span class="sr-only">{c.header}</span>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)} {...(rowAttrs?.(row) ?? {})}>
              {columns.map((c) => (
                <td key={c.key} class={cellClass(c)} data-label={c.primary || c.actions ? undefined : c.header}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
