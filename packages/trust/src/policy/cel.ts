import { TrustError } from '../errors.js';

// A small, safe interpreter for the CEL subset GCP workload identity providers use in attribute
// mappings and conditions. Tokenizer + recursive-descent parser + tree walker; nothing is ever eval'd.
// Grammar (precedence low→high): ternary, ||, &&, == != < <= > >= in, +, unary !/-, member/call/index, primary.

/** CelValue is a runtime value of the subset. */
export type CelValue = string | number | boolean | null | CelValue[] | { [key: string]: CelValue };

type Tok = { kind: 'str' | 'int' | 'ident' | 'op' | 'eof'; value: string; pos: number };

/** CelNode is a parsed expression; `start`/`end` index the source so results can quote sub-expressions. */
export type CelNode = { start: number; end: number } & (
  | { type: 'lit'; value: CelValue }
  | { type: 'ident'; name: string }
  | { type: 'member'; object: CelNode; name: string }
  | { type: 'index'; object: CelNode; index: CelNode }
  | { type: 'call'; target: CelNode | undefined; name: string; args: CelNode[] }
  | { type: 'list'; items: CelNode[] }
  | { type: 'unary'; op: '!' | '-'; arg: CelNode }
  | { type: 'binary'; op: string; left: CelNode; right: CelNode }
  | { type: 'ternary'; cond: CelNode; then: CelNode; else: CelNode }
);

const MAX_SOURCE = 8192;
const MAX_DEPTH = 64;

function parseError(msg: string, pos: number): TrustError {
  return new TrustError('ERR_TRUST_CEL_PARSE', `CEL parse error at ${pos}: ${msg}`);
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      const raw = src.startsWith(c.repeat(3), i);
      if (raw) throw parseError('triple-quoted strings are not supported', i);
      i++;
      let out = '';
      for (;;) {
        if (i >= src.length || src[i] === '\n') throw parseError('unterminated string', start);
        const ch = src[i]!;
        if (ch === c) {
          i++;
          break;
        }
        if (ch === '\\') {
          const e = src[i + 1];
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            "'": "'",
            '"': '"',
            '`': '`',
            '?': '?',
          };
          if (e !== undefined && e in map) {
            out += map[e];
            i += 2;
          } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            out += String.fromCharCode(Number.parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
          } else throw parseError(`bad escape \\${e ?? ''}`, i);
          continue;
        }
        out += ch;
        i++;
      }
      toks.push({ kind: 'str', value: out, pos: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < src.length && /[0-9]/.test(src[i]!)) i++;
      if (/[A-Za-z_.]/.test(src[i] ?? '')) throw parseError('only integer literals are supported', start);
      toks.push({ kind: 'int', value: src.slice(start, i), pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      toks.push({ kind: 'ident', value: src.slice(start, i), pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '&&', '||', '<=', '>='].includes(two)) {
      toks.push({ kind: 'op', value: two, pos: start });
      i += 2;
      continue;
    }
    if ('()[].,!<>+-?:'.includes(c)) {
      toks.push({ kind: 'op', value: c, pos: start });
      i++;
      continue;
    }
    throw parseError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  toks.push({ kind: 'eof', value: '', pos: src.length });
  return toks;
}

/** parseCel parses an expression of the supported subset; throws TrustError ERR_TRUST_CEL_PARSE. */
export function parseCel(src: string): CelNode {
  if (src.length > MAX_SOURCE) throw parseError(`expression longer than ${MAX_SOURCE} characters`, 0);
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = (): Tok => toks[p]!;
  const isOp = (v: string): boolean => peek().kind === 'op' && peek().value === v;
  const expect = (v: string): Tok => {
    if (!isOp(v))
      throw parseError(
        `expected "${v}" but found ${peek().kind === 'eof' ? 'end of input' : `"${peek().value}"`}`,
        peek().pos,
      );
    return toks[p++]!;
  };
  const endOf = (): number => {
    const prev = toks[p - 1]!;
    return prev.kind === 'str' ? findStringEnd(src, prev.pos) : prev.pos + prev.value.length;
  };
  const enter = (): void => {
    if (++depth > MAX_DEPTH) throw parseError('expression nested too deeply', peek().pos);
  };

  const ternary = (): CelNode => {
    enter();
    const start = peek().pos;
    const cond = or();
    if (isOp('?')) {
      p++;
      const then = ternary();
      expect(':');
      const els = ternary();
      depth--;
      return { type: 'ternary', cond, then, else: els, start, end: endOf() };
    }
    depth--;
    return cond;
  };
  const binaryLevel =
    (ops: string[], next: () => CelNode, identOps: string[] = []) =>
    (): CelNode => {
      const start = peek().pos;
      let left = next();
      while (
        (peek().kind === 'op' && ops.includes(peek().value)) ||
        (peek().kind === 'ident' && identOps.includes(peek().value))
      ) {
        const op = toks[p++]!.value;
        const right = next();
        left = { type: 'binary', op, left, right, start, end: endOf() };
      }
      return left;
    };
  const unary = (): CelNode => {
    if (isOp('!') || isOp('-')) {
      const start = peek().pos;
      const op = toks[p++]!.value as '!' | '-';
      enter();
      const arg = unary();
      depth--;
      return { type: 'unary', op, arg, start, end: endOf() };
    }
    return postfix();
  };
  const args = (): CelNode[] => {
    const out: CelNode[] = [];
    expect('(');
    if (!isOp(')')) {
      out.push(ternary());
      while (isOp(',')) {
        p++;
        out.push(ternary());
      }
    }
    expect(')');
    return out;
  };
  const postfix = (): CelNode => {
    const start = peek().pos;
    let node = primary();
    for (;;) {
      if (isOp('.')) {
        p++;
        const name = peek();
        if (name.kind !== 'ident') throw parseError('expected a field or method name after "."', name.pos);
        p++;
        if (isOp('(')) node = { type: 'call', target: node, name: name.value, args: args(), start, end: 0 };
        else node = { type: 'member', object: node, name: name.value, start, end: 0 };
        node.end = endOf();
      } else if (isOp('[')) {
        p++;
        const index = ternary();
        expect(']');
        node = { type: 'index', object: node, index, start, end: endOf() };
      } else return node;
    }
  };
  const primary = (): CelNode => {
    const t = peek();
    const start = t.pos;
    if (t.kind === 'str') {
      p++;
      return { type: 'lit', value: t.value, start, end: endOf() };
    }
    if (t.kind === 'int') {
      p++;
      const n = Number(t.value);
      if (!Number.isSafeInteger(n)) throw parseError('integer literal out of range', start);
      return { type: 'lit', value: n, start, end: endOf() };
    }
    if (t.kind === 'ident') {
      p++;
      if (t.value === 'true' || t.value === 'false')
        return { type: 'lit', value: t.value === 'true', start, end: endOf() };
      if (t.value === 'null') return { type: 'lit', value: null, start, end: endOf() };
      if (t.value === 'in') throw parseError('unexpected "in"', start);
      if (isOp('(')) {
        const a = args();
        return { type: 'call', target: undefined, name: t.value, args: a, start, end: endOf() };
      }
      return { type: 'ident', name: t.value, start, end: endOf() };
    }
    if (isOp('(')) {
      p++;
      enter();
      const inner = ternary();
      depth--;
      expect(')');
      return inner;
    }
    if (isOp('[')) {
      p++;
      const items: CelNode[] = [];
      if (!isOp(']')) {
        items.push(ternary());
        while (isOp(',')) {
          p++;
          if (isOp(']')) break;
          items.push(ternary());
        }
      }
      expect(']');
      return { type: 'list', items, start, end: endOf() };
    }
    throw parseError(t.kind === 'eof' ? 'unexpected end of input' : `unexpected "${t.value}"`, start);
  };
  const additive = binaryLevel(['+', '-'], unary);
  const relation = binaryLevel(['==', '!=', '<', '<=', '>', '>='], additive, ['in']);
  const and = binaryLevel(['&&'], relation);
  const or = binaryLevel(['||'], and);

  const node = ternary();
  if (peek().kind !== 'eof')
    throw parseError(`unexpected "${peek().value}" after the expression`, peek().pos);
  return node;
}

function findStringEnd(src: string, pos: number): number {
  const q = src[pos];
  let i = pos + 1;
  while (i < src.length && src[i] !== q) i += src[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** CelEvalError is an evaluation error (CEL's error value), tied to the sub-expression that raised it. */
export class CelEvalError extends TrustError {
  readonly node: CelNode;
  constructor(message: string, node: CelNode) {
    super('ERR_TRUST_CEL_EVAL', message);
    this.node = node;
  }
}

/** CelResult is a value and the innermost sub-expression that decided it. */
export interface CelResult {
  value: CelValue;
  decidedBy: CelNode;
}

function typeName(v: CelValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'object') return 'map';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

function equal(a: CelValue, b: CelValue): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => equal(x, b[i]!));
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k]!, b[k]!));
  }
  // Heterogeneous equality (cel-go): values of different types are simply unequal.
  return a === b;
}

const MAX_REGEX = 1024;
const MAX_INPUT = 16384;

/** safeRegExp compiles an RE2-style pattern with JS RegExp, refusing what RE2 itself lacks. */
export function safeRegExp(pattern: string): RegExp {
  if (pattern.length > MAX_REGEX) throw new TrustError('ERR_TRUST_CEL_EVAL', 'regular expression too long');
  // RE2 has no backreferences or lookaround, so a valid GCP pattern never needs them; refusing them also
  // removes the usual catastrophic-backtracking constructions.
  if (/\\[1-9]|\\k<|\(\?[=!]|\(\?<[=!]/.test(pattern)) {
    throw new TrustError('ERR_TRUST_CEL_EVAL', 'backreferences and lookaround are not RE2 syntax');
  }
  if (/\([^)]*[+*][^)]*\)[+*{]/.test(pattern)) {
    throw new TrustError(
      'ERR_TRUST_CEL_EVAL',
      'nested quantifiers are refused (RE2 would run them in linear time; JS may not)',
    );
  }
  let flags = 'u';
  let body = pattern;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    if (m[1]!.includes('U')) throw new TrustError('ERR_TRUST_CEL_EVAL', 'the RE2 U flag is not supported');
    flags += m[1]!;
    body = body.slice(m[0].length);
  }
  try {
    return new RegExp(body, flags);
  } catch (cause) {
    throw new TrustError('ERR_TRUST_CEL_EVAL', 'invalid regular expression', { cause });
  }
}

/**
 * evalCel evaluates a parsed expression with the given variables (e.g. `assertion`, `attribute`,
 * `google`). Returns the value and the sub-expression that decided it; throws CelEvalError.
 */
export function evalCel(node: CelNode, vars: Record<string, CelValue>): CelResult {
  const ev = (n: CelNode): CelResult => evalCel(n, vars);
  const v = (n: CelNode): CelValue => ev(n).value;
  const err = (msg: string): CelEvalError => new CelEvalError(msg, node);
  const str = (n: CelNode, what: string): string => {
    const x = v(n);
    if (typeof x !== 'string') throw new CelEvalError(`${what} needs a string, got ${typeName(x)}`, n);
    return x;
  };
  switch (node.type) {
    case 'lit':
      return { value: node.value, decidedBy: node };
    case 'ident': {
      if (!(node.name in vars)) throw err(`undeclared reference to "${node.name}"`);
      return { value: vars[node.name]!, decidedBy: node };
    }
    case 'member':
    case 'index': {
      const obj = v(node.object);
      const key = node.type === 'member' ? node.name : v(node.index);
      if (Array.isArray(obj)) {
        if (typeof key !== 'number' || !Number.isInteger(key)) throw err('list index must be an int');
        if (key < 0 || key >= obj.length) throw err(`index ${key} out of range`);
        return { value: obj[key]!, decidedBy: node };
      }
      if (obj === null || typeof obj !== 'object') throw err(`cannot select a field from ${typeName(obj)}`);
      if (typeof key !== 'string') throw err('map key must be a string');
      if (!Object.hasOwn(obj, key)) throw err(`no such key: ${key}`);
      return { value: obj[key]!, decidedBy: node };
    }
    case 'list':
      return { value: node.items.map(v), decidedBy: node };
    case 'unary': {
      const r = ev(node.arg);
      if (node.op === '!') {
        if (typeof r.value !== 'boolean') throw err(`"!" needs a bool, got ${typeName(r.value)}`);
        return { value: !r.value, decidedBy: r.decidedBy };
      }
      if (typeof r.value !== 'number') throw err(`unary "-" needs an int, got ${typeName(r.value)}`);
      return { value: -r.value, decidedBy: node };
    }
    case 'ternary': {
      const c = ev(node.cond);
      if (typeof c.value !== 'boolean') throw err('ternary condition must be a bool');
      return ev(c.value ? node.then : node.else);
    }
    case 'binary':
      return evalBinary(node, ev, err);
    case 'call':
      return { value: evalCall(node, v, str, err), decidedBy: node };
  }
}

function evalBinary(
  node: Extract<CelNode, { type: 'binary' }>,
  ev: (n: CelNode) => CelResult,
  err: (msg: string) => CelEvalError,
): CelResult {
  if (node.op === '&&' || node.op === '||') {
    // CEL's logical operators are commutative over errors: false && error is false, true || error is true.
    const decisive = node.op === '||';
    const side = (n: CelNode): CelResult | CelEvalError => {
      try {
        const r = ev(n);
        if (typeof r.value !== 'boolean')
          return new CelEvalError(`"${node.op}" needs bools, got ${typeName(r.value)}`, n);
        return r;
      } catch (e) {
        if (e instanceof CelEvalError) return e;
        throw e;
      }
    };
    const l = side(node.left);
    if (!(l instanceof CelEvalError) && l.value === decisive) return l;
    const r = side(node.right);
    if (!(r instanceof CelEvalError) && r.value === decisive) return r;
    if (l instanceof CelEvalError) throw l;
    if (r instanceof CelEvalError) throw r;
    return { value: !decisive, decidedBy: node };
  }
  const a = ev(node.left).value;
  const b = ev(node.right).value;
  switch (node.op) {
    case '==':
      return { value: equal(a, b), decidedBy: node };
    case '!=':
      return { value: !equal(a, b), decidedBy: node };
    case 'in': {
      if (Array.isArray(b)) return { value: b.some((x) => equal(x, a)), decidedBy: node };
      if (b !== null && typeof b === 'object')
        return { value: typeof a === 'string' && Object.hasOwn(b, a), decidedBy: node };
      throw err(`"in" needs a list or map on the right, got ${typeName(b)}`);
    }
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return { value: a + b, decidedBy: node };
      if (typeof a === 'number' && typeof b === 'number') return { value: a + b, decidedBy: node };
      if (Array.isArray(a) && Array.isArray(b)) return { value: [...a, ...b], decidedBy: node };
      throw err(`no "+" for ${typeName(a)} and ${typeName(b)}`);
    case '-':
      if (typeof a === 'number' && typeof b === 'number') return { value: a - b, decidedBy: node };
      throw err(`no "-" for ${typeName(a)} and ${typeName(b)}`);
    default: {
      if (
        !(
          (typeof a === 'number' && typeof b === 'number') ||
          (typeof a === 'string' && typeof b === 'string')
        )
      ) {
        throw err(`no "${node.op}" for ${typeName(a)} and ${typeName(b)}`);
      }
      const cmp = a < b ? -1 : a > b ? 1 : 0;
      const value =
        node.op === '<' ? cmp < 0 : node.op === '<=' ? cmp <= 0 : node.op === '>' ? cmp > 0 : cmp >= 0;
      return { value, decidedBy: node };
    }
  }
}

function evalCall(
  node: Extract<CelNode, { type: 'call' }>,
  v: (n: CelNode) => CelValue,
  str: (n: CelNode, what: string) => string,
  err: (msg: string) => CelEvalError,
): CelValue {
  const arity = (n: number): void => {
    if (node.args.length !== n) throw err(`${node.name}() takes ${n} argument(s)`);
  };
  const sizeOf = (x: CelValue): number => {
    if (typeof x === 'string') return [...x].length;
    if (Array.isArray(x)) return x.length;
    if (x !== null && typeof x === 'object') return Object.keys(x).length;
    throw err(`size() needs a string, list or map, got ${typeName(x)}`);
  };
  if (node.target === undefined) {
    if (node.name === 'size') {
      arity(1);
      return sizeOf(v(node.args[0]!));
    }
    if (node.name === 'has') {
      arity(1);
      const a = node.args[0]!;
      if (a.type !== 'member') throw err('has() needs a field selection like has(assertion.x)');
      const obj = v(a.object);
      return obj !== null && typeof obj === 'object' && !Array.isArray(obj) && Object.hasOwn(obj, a.name);
    }
    if (node.name === 'string') {
      arity(1);
      const x = v(node.args[0]!);
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return String(x);
      throw err(`string() cannot convert ${typeName(x)}`);
    }
    throw err(`unknown function ${node.name}()`);
  }
  const self = node.target;
  switch (node.name) {
    case 'startsWith':
    case 'endsWith':
    case 'contains': {
      arity(1);
      const s = str(self, `${node.name}()`);
      const arg = str(node.args[0]!, `${node.name}()`);
      return node.name === 'startsWith'
        ? s.startsWith(arg)
        : node.name === 'endsWith'
          ? s.endsWith(arg)
          : s.includes(arg);
    }
    case 'matches': {
      arity(1);
      const s = str(self, 'matches()');
      if (s.length > MAX_INPUT) throw err('matches() input too long');
      // CEL matches() is a partial match unless the pattern anchors itself.
      return safeRegExp(str(node.args[0]!, 'matches()')).test(s);
    }
    case 'size':
      arity(0);
      return sizeOf(v(self));
    case 'lowerAscii':
      arity(0);
      return str(self, 'lowerAscii()').replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'split': {
      arity(1);
      return str(self, 'split()').split(str(node.args[0]!, 'split()'));
    }
    default:
      throw err(`unknown method .${node.name}()`);
  }
}

/** celSource returns the source text of a node, for explanations. */
export function celSource(src: string, node: CelNode): string {
  return src.slice(node.start, node.end).trim();
}
