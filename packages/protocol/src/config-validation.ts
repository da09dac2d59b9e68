import { z } from 'zod';
import { ErrorCode, MaError } from './errors.js';

/** One problem found in a config file: where, what was there, and what was expected. */
export interface ConfigProblem {
  key: string;
  value: unknown;
  expected: string;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  const s = JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function keyOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/**
 * Validates a parsed config against its schema and reports every problem at once, each
 * naming the file, the key, the bad value and the expected form.
 */
export function validateConfig<S extends z.ZodTypeAny>(schema: S, raw: unknown, file: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data as z.output<S>;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    let expected = issue.message;
    if (issue.code === 'unrecognized_keys') expected = `no unknown keys (${issue.keys.join(', ')}); check the spelling`;
    else if (issue.code === 'invalid_enum_value') expected = `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    else if (issue.code === 'invalid_type') expected = issue.received === 'undefined' ? `a ${issue.expected} (required)` : `a ${issue.expected}`;
    return { key: keyOf(issue.path), value: valueAt(raw, issue.path), expected };
  });
  const lines = problems.map((p) => `  ${file}: ${p.key}: got ${describe(p.value)}, expected ${p.expected}`);
  throw new ConfigError(`invalid config in ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, problems);
}

export class ConfigError extends MaError {
  constructor(
    message: string,
    readonly problems: ConfigProblem[],
  ) {
    super(ErrorCode.ConfigInvalid, message);
  }
}

/** Parses a duration such as `500ms`, `10s`, `5m`, `1h`, `7d` (or a bare number of ms). */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * factor);
}

/**
 * A config duration with a default: `"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"7d"` or a number of
 * ms, parsed to ms. One definition for every config file, so all say the same in errors.
 */
export const durationSchema = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a duration such as "500ms", "30s", "5m", "1h"' });
        return z.NEVER;
      }
      return ms;
    });
