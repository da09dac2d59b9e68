import { z } from 'zod';
import { didYouMean } from './closest-match.js';
import { describeIssue, describeSchema, knownKeys, oneOf, schemaAt } from './config-describe.js';
import { ErrorCode, MaError } from './errors.js';

/** One problem found in a config file: where, what was there, and what was expected. */
export interface ConfigProblem {
  /** Dotted key as a user finds it in the file: `http.port`, `drivers[1].driver`. */
  key: string;
  value: unknown;
  expected: string;
  /** Set when the value came from an environment variable rather than the file. */
  env?: string;
  /** Replaces the shown value (e.g. "an unknown key"). */
  got?: string;
}

/** Where a config value came from when not from the file: key (as in ConfigProblem.key) to env var name. */
export type EnvSources = Readonly<Record<string, string>>;

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const SECRET_KEY = /(credential|password|secret|token)$/i;
const MAX_SHOWN = 40;

/** The value in a few words: never a whole mapping, never a secret. */
export function describeValue(value: unknown, key = ''): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'string' && SECRET_KEY.test(key.split('.').pop() ?? '')) return `(hidden, ${value.length} characters)`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty mapping';
    return `a mapping (${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''})`;
  }
  const s = JSON.stringify(value) ?? String(value);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 2)}…"` : s;
}

/** `http.port`, `drivers[1].driver`; `(top level)` for the document itself. */
export function keyOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** `key` of a problem found inside the section at `prefix` (`drivers[1]` + `interval`). */
export function prefixKey(prefix: string, key: string): string {
  if (key === '(top level)') return prefix;
  return key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`;
}

/** Zod's own default wording, which we replace; a schema author's custom message is kept. */
const ZOD_DEFAULT = /^(String|Number|Array|Set|Date|BigInt|Value) (must|should)|^Expected .+, received |^Required$|^Invalid( |$)|^Too (small|big)|^Unrecognized key/;

function expectedFor(issue: z.ZodIssue, schema: z.ZodTypeAny, raw: unknown): string {
  const target = schemaAt(schema, issue.path);
  const custom = issue.message !== undefined && !ZOD_DEFAULT.test(issue.message);
  switch (issue.code) {
    case 'invalid_enum_value': {
      const got = valueAt(raw, issue.path);
      return `${oneOf(issue.options.map(String))}${typeof got === 'string' ? didYouMean(got, issue.options.map(String)) : ''}`;
    }
    case 'invalid_type':
    case 'invalid_union':
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of': {
      if (custom && issue.code !== 'invalid_type' && issue.code !== 'invalid_union') return issue.message;
      const form = target ? describeSchema(target) : describeIssue(issue);
      const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
      return missing ? `${form} (required)` : form;
    }
    default:
      return custom ? issue.message : describeIssue(issue);
  }
}

/** The problems in `raw` against `schema`, in plain words; empty when it is valid. */
export function configProblems(schema: z.ZodTypeAny, issues: readonly z.ZodIssue[], raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, with the nearest known key: a typo is the usual cause.
      const known = knownKeys(schemaAt(schema, issue.path));
      for (const k of issue.keys) {
        const listed = known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ');
        const hint = didYouMean(k, known);
        problems.push({
          key: keyOf([...issue.path, k]),
          value: valueAt(raw, [...issue.path, k]),
          got: 'an unknown key',
          expected: known.length ? `one of ${listed}${hint}` : 'no other keys here',
        });
      }
      continue;
    }
    problems.push({ key: keyOf(issue.path), value: valueAt(raw, issue.path), expected: expectedFor(issue, schema, raw) });
  }
  return problems;
}

/** One line per problem: `file: key: got <value>, expected <form>`; env vars named as such. */
export function formatProblem(file: string, p: ConfigProblem): string {
  const got = p.got ?? describeValue(p.value, p.key);
  // A file label in parentheses is not a file (no --config given): there is nothing to override.
  const noFile = file.startsWith('(');
  if (p.env) return `${p.env}: got ${got}, expected ${p.expected} (environment variable${noFile ? `, sets ${p.key}` : `, overrides ${p.key} of ${file}`})`;
  return `${file}: ${p.key}: got ${got}, expected ${p.expected}`;
}

/** A ConfigError listing every problem at once, one line each. */
export function configErrorFor(file: string, problems: ConfigProblem[]): ConfigError {
  const lines = problems.map((p) => `  ${formatProblem(file, p)}`);
  const where = file.startsWith('(') ? file : `in ${file}`;
  return new ConfigError(`invalid config ${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, problems);
}

/**
 * Validates a parsed config against its schema and reports every problem at once, each
 * naming the file (or the environment variable), the key, the value briefly and the expected form.
 */
export function validateConfig<S extends z.ZodTypeAny>(schema: S, raw: unknown, file: string, envSources: EnvSources = {}): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data as z.output<S>;
  const problems = configProblems(schema, result.error.issues, raw).map((p) => {
    const env = envSources[p.key];
    return env ? { ...p, env } : p;
  });
  throw configErrorFor(file, problems);
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

const DURATION_FORM = 'a duration such as "500ms", "30s", "5m", "1h"';

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
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: DURATION_FORM });
        return z.NEVER;
      }
      return ms;
    })
    .describe(DURATION_FORM);
