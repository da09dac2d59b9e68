import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import type { RawResponse } from './login.js';
import { REPO_ROOT } from './processes.js';

/**
 * The OpenAPI document as a test oracle: which responses an operation declares, whether a real
 * response is one of them (status, content type, body against its JSON schema), and inputs
 * generated from its own parameter and body schemas.
 */

export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
  security: unknown[];
}

// The server's own Ajv 8 (the root node_modules holds Ajv 6 for eslint); 2020-12 drafts read
// OpenAPI 3.1 schemas as they are.
type ValidateFn = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };
interface AjvLike {
  compile(schema: unknown): ValidateFn;
}
const serverRequire = createRequire(path.join(REPO_ROOT, 'packages/server/package.json'));
const Ajv2020 = (serverRequire('ajv/dist/2020') as { default: new (opts: Record<string, unknown>) => AjvLike }).default;

export class OpenApiOracle {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: false });
  readonly #compiled = new Map<unknown, ValidateFn>();

  constructor(readonly doc: OpenApiDocument) {}

  /** Every operation: [path template, method, operation]. */
  operations(): Array<[string, string, Operation]> {
    return Object.entries(this.doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => [p, m, op] as [string, string, Operation]));
  }

  /** Why this response is not one the operation documents; undefined when it is. */
  problem(pathTemplate: string, method: string, res: RawResponse): string | undefined {
    const op = this.doc.paths[pathTemplate]?.[method];
    if (!op) return `${method.toUpperCase()} ${pathTemplate} is not in the document`;
    const declared = op.responses[String(res.status)] ?? op.responses[`${String(res.status)[0]}XX`];
    if (!declared) return `status ${res.status} is not declared (declared: ${Object.keys(op.responses).join(', ')}); body ${res.body.slice(0, 200)}`;
    if (!declared.content) return res.body === '' ? undefined : `status ${res.status} declares no body, got ${res.body.slice(0, 200)}`;
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    const media = declared.content[type];
    if (!media) return `status ${res.status}: content type ${JSON.stringify(type)} is not declared (${Object.keys(declared.content).join(', ')}); body ${res.body.slice(0, 200)}`;
    if (type !== 'application/json') return undefined;
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `status ${res.status}: the body is not JSON: ${res.body.slice(0, 200)}`;
    }
    let validate = this.#compiled.get(media.schema);
    if (!validate) this.#compiled.set(media.schema, (validate = this.#ajv.compile(media.schema)));
    if (!validate(body)) return `status ${res.status}: body does not match its schema (${validate.errors?.map((e) => `${e.instancePath} ${e.message}`).join('; ')}): ${res.body.slice(0, 300)}`;
    return undefined;
  }
}

/** Values the generator prefers for some names, so schema-valid inputs reach real rows. */
export type Pools = Record<string, readonly unknown[]>;

const SHORT = 24;

/** A fast-check arbitrary of values valid for `schema`; `pool` values are mixed in when given. */
export function arbitraryFor(schema: Schema | undefined, pool?: readonly unknown[]): fc.Arbitrary<unknown> {
  const own = ownArbitrary(schema ?? {});
  return pool && pool.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: own }) : own;
}

function ownArbitrary(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((t) => ownArbitrary({ ...schema, type: t })));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'string': {
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? SHORT, SHORT));
      if (schema.pattern) {
        const re = new RegExp(schema.pattern, 'u');
        return fc.stringMatching(re).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
      }
      return fc.string({ minLength, maxLength, unit: 'grapheme' });
    }
    case 'array':
      return fc.array(ownArbitrary(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) });
    case 'object': {
      const props = schema.properties ?? {};
      if (Object.keys(props).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) record[k] = ownArbitrary(s);
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Malformed JSON-ish values: wrong types, huge and hostile strings, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 2 ** 53, 1e308, -1e308, '', ' ', "'; DROP TABLE nodes; --", '../../../etc/passwd', '%00', '\u0000', '<script>', '{}', 'null'),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.constant('x'.repeat(5000)),
  fc.jsonValue({ maxDepth: 4 }),
);

/** One request: a concrete path, a query string and a body. */
export interface RequestInput {
  path: string;
  query: string;
  body: string | undefined;
  contentType: string;
}

function encodeQuery(params: Array<[string, unknown]>): string {
  const parts: string[] = [];
  for (const [k, v] of params) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof one === 'string' ? one : JSON.stringify(one))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const fill = (template: string, values: Record<string, unknown>) => template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(values[k])));

/** Inputs valid for the operation's schemas (path and query parameters, JSON body). */
export function validInput(template: string, op: Operation, pools: Pools): fc.Arbitrary<RequestInput> {
  const params = op.parameters ?? [];
  const pathParams: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of params.filter((x) => x.in === 'path')) pathParams[p.name] = arbitraryFor(p.schema, pools[p.name]);
  const queryParams: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const p of params.filter((x) => x.in === 'query')) {
    queryParams[p.name] = arbitraryFor(p.schema, pools[p.name]);
    if (p.required) required.push(p.name);
  }
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  return fc
    .record({
      path: fc.record(pathParams),
      query: fc.record(queryParams, { requiredKeys: required }),
      body: bodySchema ? arbitraryFor(bodySchema) : fc.constant(undefined),
    })
    .map(({ path: pv, query, body }) => ({
      path: fill(template, pv),
      query: encodeQuery(Object.entries(query)),
      body: body === undefined ? undefined : JSON.stringify(body),
      contentType: 'application/json',
    }));
}

/**
 * One plain valid request, for the contract check: path parameters from the pools, only the
 * required query parameters, and the body the caller gives (or one generated from its schema).
 */
export function exampleInput(template: string, op: Operation, pools: Pools, seed: number): RequestInput {
  const params = op.parameters ?? [];
  const pick = (p: Parameter): unknown => pools[p.name]?.[0] ?? fc.sample(arbitraryFor(p.schema), { seed, numRuns: 1 })[0];
  const pathValues: Record<string, unknown> = {};
  for (const p of params.filter((x) => x.in === 'path')) pathValues[p.name] = pick(p);
  const query = params.filter((x) => x.in === 'query' && x.required).map((p) => [p.name, pick(p)] as [string, unknown]);
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  const body = bodySchema ? JSON.stringify(fc.sample(arbitraryFor(bodySchema), { seed, numRuns: 1 })[0]) : undefined;
  return { path: fill(template, pathValues), query: encodeQuery(query), body, contentType: 'application/json' };
}

/** Inputs that break the schemas: hostile path segments, query values and bodies, wrong content types. */
export function malformedInput(template: string, op: Operation): fc.Arbitrary<RequestInput> {
  const names = [...(op.parameters ?? []).map((p) => p.name), 'zzz'];
  return fc
    .record({
      segments: fc.array(hostileValue, { minLength: 4, maxLength: 4 }),
      query: fc.array(fc.tuple(fc.constantFrom(...names), hostileValue), { maxLength: 3 }),
      body: fc.oneof(
        hostileValue.map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 60 }),
        fc.constant('{"truncated": '),
        fc.constant(undefined),
      ),
      contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
    })
    .map(({ segments, query, body, contentType }) => {
      let i = 0;
      return {
        path: template.replace(/\{\w+\}/g, () => encodeURIComponent(String(segments[i++ % segments.length]))),
        query: encodeQuery(query),
        body: body as string | undefined,
        contentType,
      };
    });
}
