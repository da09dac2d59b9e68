import { z } from 'zod';

/**
 * Turns a config schema into plain words for error messages ("an integer 0–65535", "at least 8
 * characters"), so a user reads what to write, never the validator's own wording.
 */

/** Strips wrappers (default, optional, transforms, pipes...) down to the schema that checks the value. */
export function unwrapSchema(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (s.description !== undefined) return s;
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodCatch) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
    else if (s instanceof z.ZodPipeline) s = s._def.in as z.ZodTypeAny;
    else if (s instanceof z.ZodBranded) s = s._def.type as z.ZodTypeAny;
    else if (s instanceof z.ZodLazy) s = s._def.getter() as z.ZodTypeAny;
    else if (s instanceof z.ZodReadonly) s = s._def.innerType as z.ZodTypeAny;
    else return s;
  }
  return s;
}

/** The schema that validates the value at `path` below `schema`, when it can be found. */
export function schemaAt(schema: z.ZodTypeAny, path: readonly PropertyKey[]): z.ZodTypeAny | undefined {
  let cur: z.ZodTypeAny | undefined = schema;
  for (const key of path) {
    if (cur === undefined) return undefined;
    cur = childSchema(stripAll(cur), key);
  }
  return cur;
}

/** Like unwrapSchema, but also looks through a described wrapper (to walk into its children). */
function stripAll(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = unwrapSchema(schema);
  for (let i = 0; i < 20; i++) {
    const inner: z.ZodTypeAny = unwrapSchema(s.description !== undefined ? withoutDescription(s) : s);
    if (inner === s) return s;
    s = inner;
  }
  return s;
}

function withoutDescription(s: z.ZodTypeAny): z.ZodTypeAny {
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodCatch || s instanceof z.ZodReadonly) return s._def.innerType as z.ZodTypeAny;
  if (s instanceof z.ZodEffects) return s._def.schema as z.ZodTypeAny;
  if (s instanceof z.ZodPipeline) return s._def.in as z.ZodTypeAny;
  if (s instanceof z.ZodBranded) return s._def.type as z.ZodTypeAny;
  return s;
}

function childSchema(s: z.ZodTypeAny, key: PropertyKey): z.ZodTypeAny | undefined {
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodTypeAny>;
    return typeof key === 'string' && Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  if (s instanceof z.ZodArray) return typeof key === 'number' ? (s.element as z.ZodTypeAny) : undefined;
  if (s instanceof z.ZodRecord) return s.valueSchema as z.ZodTypeAny;
  if (s instanceof z.ZodTuple) return typeof key === 'number' ? (s.items as z.ZodTypeAny[])[key] : undefined;
  if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) {
    for (const o of s.options as z.ZodTypeAny[]) {
      const c = childSchema(stripAll(o), key);
      if (c) return c;
    }
  }
  if (s instanceof z.ZodIntersection) return childSchema(stripAll(s._def.left as z.ZodTypeAny), key) ?? childSchema(stripAll(s._def.right as z.ZodTypeAny), key);
  return undefined;
}

/** The keys a mapping at this schema accepts (empty when it is not a mapping with fixed keys). */
export function knownKeys(schema: z.ZodTypeAny | undefined): string[] {
  if (schema === undefined) return [];
  const s = stripAll(schema);
  if (s instanceof z.ZodObject) return Object.keys(s.shape as object);
  if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) return [...new Set((s.options as z.ZodTypeAny[]).flatMap((o) => knownKeys(o)))];
  if (s instanceof z.ZodIntersection) return [...knownKeys(s._def.left as z.ZodTypeAny), ...knownKeys(s._def.right as z.ZodTypeAny)];
  return [];
}

type Check = { kind: string; value?: number; inclusive?: boolean };

/** An expected form in words, e.g. "an integer 0–65535", "true or false", "one of a, b". */
export function describeSchema(schema: z.ZodTypeAny): string {
  const s = unwrapSchema(schema);
  if (s.description !== undefined) return s.description;
  if (s instanceof z.ZodNumber) return describeNumber(s._def.checks as Check[]);
  if (s instanceof z.ZodString) return `a string${lengthPhrase(s._def.checks as Check[], 'character')}`;
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return oneOf(s.options as string[]);
  if (s instanceof z.ZodNativeEnum) return oneOf(Object.values(s.enum as Record<string, string | number>).map(String));
  if (s instanceof z.ZodLiteral) return JSON.stringify(s.value);
  if (s instanceof z.ZodArray) return `a list${lengthPhrase(arrayChecks(s), 'item')}`;
  if (s instanceof z.ZodObject || s instanceof z.ZodRecord) return 'a mapping of keys';
  if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) {
    const forms = [...new Set((s.options as z.ZodTypeAny[]).map((o) => describeSchema(o)))];
    return forms.join(' or ');
  }
  return 'a valid value';
}

function arrayChecks(s: z.ZodArray<z.ZodTypeAny>): Check[] {
  const d = s._def as { minLength: { value: number } | null; maxLength: { value: number } | null; exactLength: { value: number } | null };
  const out: Check[] = [];
  if (d.exactLength) out.push({ kind: 'length', value: d.exactLength.value });
  if (d.minLength) out.push({ kind: 'min', value: d.minLength.value, inclusive: true });
  if (d.maxLength) out.push({ kind: 'max', value: d.maxLength.value, inclusive: true });
  return out;
}

function describeNumber(checks: Check[]): string {
  const int = checks.some((c) => c.kind === 'int');
  let min: number | undefined;
  let max: number | undefined;
  let minExclusive = false;
  let maxExclusive = false;
  for (const c of checks) {
    if (c.kind === 'min' && c.value !== undefined) [min, minExclusive] = [c.value, c.inclusive === false];
    if (c.kind === 'max' && c.value !== undefined) [max, maxExclusive] = [c.value, c.inclusive === false];
  }
  const noun = int ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined && !minExclusive && !maxExclusive) return `${noun} ${min}–${max}`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(minExclusive ? `greater than ${min}` : `at least ${min}`);
  if (max !== undefined) parts.push(maxExclusive ? `less than ${max}` : `at most ${max}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

function lengthPhrase(checks: Check[], unit: string): string {
  const plural = (n: number) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const exact = checks.find((c) => c.kind === 'length');
  if (exact?.value !== undefined) return ` of exactly ${plural(exact.value)}`;
  const min = checks.find((c) => c.kind === 'min')?.value;
  const max = checks.find((c) => c.kind === 'max')?.value;
  if (min !== undefined && max !== undefined) return ` of ${min}–${max} ${unit}s`;
  if (min === 1 && unit === 'character') return ' (not empty)';
  if (min !== undefined) return ` of at least ${plural(min)}`;
  if (max !== undefined) return ` of at most ${plural(max)}`;
  return '';
}

/** "one of a, b, c" (values as a user types them in YAML). */
export function oneOf(options: readonly string[]): string {
  return `one of ${options.join(', ')}`;
}

/**
 * Plain words for one zod issue, for the cases where the schema itself cannot be described
 * (refinements and custom checks carry our own wording; zod's defaults are rephrased).
 */
export function describeIssue(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const unit = issue.type === 'string' ? 'character' : issue.type === 'array' || issue.type === 'set' ? 'item' : '';
      const amount = unit ? `${bound} ${unit}${bound === 1 ? '' : 's'}` : String(bound);
      if (issue.exact) return `exactly ${amount}`;
      if (issue.code === 'too_small') return issue.inclusive ? `at least ${amount}` : `more than ${amount}`;
      return issue.inclusive ? `at most ${amount}` : `less than ${amount}`;
    }
    case 'invalid_type':
      return `${article(issue.expected)}${issue.received === 'undefined' ? ' (required)' : ''}`;
    case 'invalid_string':
      // Our regexes carry their own message; zod's default is just "Invalid".
      return issue.message && issue.message !== 'Invalid' && !issue.message.startsWith('Invalid ') ? issue.message : `a valid ${typeof issue.validation === 'string' ? issue.validation : 'string'}`;
    case 'invalid_enum_value':
      return oneOf(issue.options.map(String));
    case 'invalid_literal':
      return JSON.stringify(issue.expected);
    case 'not_multiple_of':
      return `a multiple of ${String(issue.multipleOf)}`;
    case 'invalid_date':
      return 'a date';
    default:
      return issue.message;
  }
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a mapping of keys', array: 'a list', boolean: 'true or false', integer: 'an integer' };
  return words[type] ?? `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
