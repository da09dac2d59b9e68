/**
 * A reader for the Python literals the original system logged (`repr()` of a dict): strings in
 * single or double quotes, numbers, None/True/False, lists, tuples, dicts and
 * `datetime.datetime(...)` calls. Only what those lines contain; anything else is an error
 * naming the position, never code that runs.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue } | PyDateTime;

/** `datetime.datetime(y, mo, d, h, mi, s, us)`: naive local time, as Python printed it. */
export interface PyDateTime {
  kind: 'datetime';
  parts: number[];
}

export function isPyDateTime(v: PyValue): v is PyDateTime {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'datetime' && Array.isArray((v as { parts?: unknown }).parts);
}

export class PyLiteralError extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

export function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new PyLiteralError(`${what} at column ${i + 1}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (ch: string) => {
    ws();
    if (text[i] !== ch) fail(`expected "${ch}"`);
    i++;
  };

  function str(): string {
    const q = text[i++]!;
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'x' || e === 'u') {
          const len = e === 'x' ? 2 : 4;
          const hex = text.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('bad escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2 + len;
          continue;
        }
        if (e === undefined || !(e in ESCAPES)) fail('unknown escape');
        out += ESCAPES[e!];
        i += 2;
      } else {
        out += text[i++];
      }
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  }

  function seq(close: string): PyValue[] {
    const items: PyValue[] = [];
    ws();
    while (text[i] !== close) {
      items.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== close) fail(`expected "," or "${close}"`);
    }
    i++;
    return items;
  }

  function value(): PyValue {
    ws();
    const c = text[i];
    if (c === undefined) fail('unexpected end');
    if (c === "'" || c === '"') return str();
    if (c === '[') {
      i++;
      return seq(']');
    }
    if (c === '(') {
      i++;
      return seq(')');
    }
    if (c === '{') {
      i++;
      const obj: Record<string, PyValue> = {};
      ws();
      while (text[i] !== '}') {
        ws();
        if (text[i] !== "'" && text[i] !== '"') fail('expected a string key');
        const k = str();
        expect(':');
        obj[k] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected "," or "}"');
        ws();
      }
      i++;
      return obj;
    }
    const num = /^-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)/.exec(text.slice(i));
    if (num && !/^-?(inf|nan)/.test(num[0])) {
      i += num[0].length;
      return Number(num[0]);
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      if (word[0] === 'None') return null;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      if (word[0] === 'datetime.datetime' || word[0] === 'datetime') {
        expect('(');
        const parts = seq(')');
        if (parts.length < 3 || parts.length > 7 || !parts.every((p) => typeof p === 'number' && Number.isInteger(p))) fail('datetime.datetime() takes 3 to 7 integers');
        return { kind: 'datetime', parts: parts as number[] };
      }
      fail(`unsupported name ${JSON.stringify(word[0])}`);
    }
    return fail(`unexpected ${JSON.stringify(c)}`);
  }

  const v = value();
  ws();
  if (i < text.length) fail('trailing text');
  return v;
}
