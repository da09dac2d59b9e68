/**
 * Interlock rules: small boolean expressions over the node's own channel values, such as
 * `enclosure_door == 0` or `coolant_temp < 30 and not estop`. Parsed once at config load
 * (a syntax error names the position), evaluated without eval against the latest values.
 *
 * Grammar: or := and (("or" | "||") and)* ; and := unary (("and" | "&&") unary)* ;
 * unary := ("not" | "!") unary | comparison ; comparison := operand (op operand)? ;
 * op := == != < <= > >= ; operand := number | true | false | channel | "(" or ")".
 * A channel name is a channel key (letters, digits, `_ . / : -`); true = 1, false = 0; a
 * bare operand is true when non-zero. A channel with no recent value makes the rule fail:
 * an interlock that cannot be checked does not let anything turn on.
 */
import { ErrorCode, MaError } from '@ma/protocol';

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Expr =
  | { t: 'num'; v: number }
  | { t: 'ch'; key: string }
  | { t: 'not'; e: Expr }
  | { t: 'and' | 'or'; l: Expr; r: Expr }
  | { t: 'cmp'; op: Op; l: Expr; r: Expr };

interface Token {
  kind: 'num' | 'id' | 'op' | '(' | ')';
  text: string;
  at: number;
}

function tokenise(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_./:-]*)|(==|!=|<=|>=|&&|\|\||[<>!])|([()]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new MaError(ErrorCode.ConfigInvalid, `interlock "${src}": unexpected "${src.slice(i).trim()[0]}" at position ${i + (src.slice(i).length - src.slice(i).trimStart().length) + 1}`);
    const at = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').length;
    if (m[1] !== undefined) out.push({ kind: 'num', text: m[1], at });
    else if (m[2] !== undefined) out.push({ kind: 'id', text: m[2], at });
    else if (m[3] !== undefined) out.push({ kind: 'op', text: m[3], at });
    else out.push({ kind: m[4] as '(' | ')', text: m[4]!, at });
    i = re.lastIndex;
  }
  return out;
}

export function parseInterlock(src: string): Expr {
  const toks = tokenise(src);
  let p = 0;
  const fail = (what: string): never => {
    const t = toks[p];
    throw new MaError(ErrorCode.ConfigInvalid, `interlock "${src}": ${what} ${t ? `at "${t.text}" (position ${t.at + 1})` : 'at the end'}`);
  };
  const peekWord = (...words: string[]): boolean => {
    const t = toks[p];
    return t !== undefined && ((t.kind === 'id' && words.includes(t.text.toLowerCase())) || (t.kind === 'op' && words.includes(t.text)));
  };
  const operand = (): Expr => {
    const t = toks[p];
    if (!t) return fail('expected a channel, number or "("');
    if (t.kind === '(') {
      p++;
      const e = or();
      if (toks[p]?.kind !== ')') fail('expected ")"');
      p++;
      return e;
    }
    if (t.kind === 'num') {
      p++;
      return { t: 'num', v: Number(t.text) };
    }
    if (t.kind === 'id') {
      const w = t.text.toLowerCase();
      if (['and', 'or', 'not'].includes(w)) return fail('expected a channel, number or "("');
      p++;
      if (w === 'true') return { t: 'num', v: 1 };
      if (w === 'false') return { t: 'num', v: 0 };
      return { t: 'ch', key: t.text };
    }
    return fail('expected a channel, number or "("');
  };
  const comparison = (): Expr => {
    const l = operand();
    const t = toks[p];
    if (t?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      p++;
      return { t: 'cmp', op: t.text as Op, l, r: operand() };
    }
    return l;
  };
  const unary = (): Expr => {
    if (peekWord('not', '!')) {
      p++;
      return { t: 'not', e: unary() };
    }
    return comparison();
  };
  const and = (): Expr => {
    let l = unary();
    while (peekWord('and', '&&')) {
      p++;
      l = { t: 'and', l, r: unary() };
    }
    return l;
  };
  const or = (): Expr => {
    let l = and();
    while (peekWord('or', '||')) {
      p++;
      l = { t: 'or', l, r: and() };
    }
    return l;
  };
  if (toks.length === 0) throw new MaError(ErrorCode.ConfigInvalid, 'interlock: empty rule');
  const e = or();
  if (p < toks.length) fail('unexpected');
  return e;
}

/** Channel keys a rule reads. */
export function channelsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.t === 'ch') out.add(e.key);
  else if (e.t === 'not') channelsOf(e.e, out);
  else if (e.t === 'and' || e.t === 'or' || e.t === 'cmp') {
    channelsOf(e.l, out);
    channelsOf(e.r, out);
  }
  return out;
}

export type InterlockVerdict = { ok: true } | { ok: false; message: string };

/**
 * Evaluates `e`; `value(key)` answers the channel's current value or undefined when it has
 * none recent enough. Missing values fail the rule, naming the channel.
 */
export function evaluateInterlock(e: Expr, value: (key: string) => number | undefined): InterlockVerdict {
  const missing: string[] = [];
  const num = (x: Expr): number => {
    if (x.t === 'num') return x.v;
    if (x.t === 'ch') {
      const v = value(x.key);
      if (v === undefined) {
        missing.push(x.key);
        return Number.NaN;
      }
      return v;
    }
    return truth(x) ? 1 : 0;
  };
  const truth = (x: Expr): boolean => {
    switch (x.t) {
      case 'num':
      case 'ch':
        return num(x) !== 0 && !Number.isNaN(num(x));
      case 'not':
        return !truth(x.e);
      case 'and':
        return truth(x.l) && truth(x.r);
      case 'or':
        return truth(x.l) || truth(x.r);
      case 'cmp': {
        const l = num(x.l);
        const r = num(x.r);
        switch (x.op) {
          case '==':
            return l === r;
          case '!=':
            return l !== r;
          case '<':
            return l < r;
          case '<=':
            return l <= r;
          case '>':
            return l > r;
          case '>=':
            return l >= r;
        }
      }
    }
  };
  const result = truth(e);
  if (missing.length > 0) return { ok: false, message: `no recent value for ${[...new Set(missing)].join(', ')}` };
  return result ? { ok: true } : { ok: false, message: describeValues(e, value) };
}

function describeValues(e: Expr, value: (key: string) => number | undefined): string {
  const parts = [...channelsOf(e)].map((k) => `${k} = ${value(k)}`);
  return parts.length > 0 ? `not satisfied (${parts.join(', ')})` : 'not satisfied';
}
