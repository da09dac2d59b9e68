import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Request validation that says no instead of guessing. fastify's default AJV settings remove
 * unknown body fields silently and coerce types (`{"name": 123}` would become "123"), so bad
 * input could be stored. Here request bodies are validated as sent: an unknown field or a
 * wrong type is a 400 naming it. Query strings and path parameters are text on the wire, so
 * they keep type coercion (`?channel=5` is the integer 5).
 */
export function strictValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const common: Options = { allErrors: false, useDefaults: true, removeAdditional: false, strict: false };
  const body = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const text = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
