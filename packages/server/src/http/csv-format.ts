/** CSV for exports: RFC 4180 quoting, plus a guard against spreadsheet formula injection in text. */

export const CSV_HEADER = 'time,ts_ms,node,channel_id,channel,unit,value,min,max,count\r\n';

/**
 * A text cell. Labels are typed by people, so a cell that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` (OWASP's advice); then RFC 4180 quoting.
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface CsvChannel {
  id: number;
  node: string;
  label: string;
  unit: string;
}

/** One point: a raw reading (min = max = value, count 1) or a bucket (value = average). */
export function csvRow(channel: CsvChannel, ts: number, value: number, min: number, max: number, count: number): string {
  return `${new Date(ts).toISOString()},${ts},${csvText(channel.node)},${channel.id},${csvText(channel.label)},${csvText(channel.unit)},${value},${min},${max},${count}\r\n`;
}
