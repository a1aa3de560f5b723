import { formatError } from './parser-support.js';

/**
 * A bounded TOML reader for lockfiles (Cargo.lock, poetry.lock): tables, arrays of tables, dotted and
 * quoted keys, all four string kinds, integers, floats, booleans, date-times (kept as strings),
 * arrays and inline tables. The `yaml` library cannot read TOML, and lockfiles need no more than this.
 * Tables are null-prototype objects, so a key named `__proto__` is just a key.
 */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

const MAX_DEPTH = 32;
const MAX_STRING = 1 << 20;

function table(): TomlTable {
  return Object.create(null) as TomlTable;
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class TomlReader {
  private pos = 0;
  private line = 1;
  /** Arrays created by `[[x]]` (only those may be extended by a later `[[x]]`). */
  private readonly tableArrays = new WeakSet<TomlValue[]>();
  /** Tables defined by a header or inline, which a later header may not redefine. */
  private readonly defined = new WeakSet<TomlTable>();

  constructor(private readonly path: string, private readonly src: string) {}

  private fail(message: string): never {
    throw formatError(this.path, `TOML line ${this.line}: ${message}`, { line: this.line });
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  private advance(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.src[this.pos] === '\n') this.line++;
      this.pos++;
    }
  }

  private skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  private skipComment(): void {
    if (this.peek() !== '#') return;
    while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
  }

  /** Whitespace, newlines and comments (inside arrays, between statements). */
  private skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      this.skipComment();
      if (this.peek() === '\n') this.advance();
      else if (this.peek() === '\r' && this.peek(1) === '\n') this.advance(2);
      else return;
    }
  }

  private endOfLine(): void {
    this.skipSpaces();
    this.skipComment();
    if (this.pos >= this.src.length) return;
    if (this.peek() === '\n') this.advance();
    else if (this.peek() === '\r' && this.peek(1) === '\n') this.advance(2);
    else this.fail(`unexpected ${JSON.stringify(this.peek())} after value`);
  }

  parse(): TomlTable {
    const root = table();
    let current = root;
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.src.length) return root;
      if (this.startsWith('[[')) {
        this.advance(2);
        const keys = this.keyPath(']]');
        this.advance(2);
        current = this.arrayTable(root, keys);
        this.endOfLine();
      } else if (this.peek() === '[') {
        this.advance();
        const keys = this.keyPath(']');
        this.advance();
        current = this.headerTable(root, keys);
        this.endOfLine();
      } else {
        this.keyValue(current, 0);
        this.endOfLine();
      }
    }
  }

  private keyPath(close: string): string[] {
    this.skipSpaces();
    const keys = this.key();
    this.skipSpaces();
    if (!this.startsWith(close)) this.fail(`expected ${close}`);
    return keys;
  }

  /** A dotted key: `a."b.c".d`. */
  private key(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipSpaces();
      const ch = this.peek();
      if (ch === '"') keys.push(this.basicString());
      else if (ch === "'") keys.push(this.literalString());
      else {
        const start = this.pos;
        while (/[A-Za-z0-9_-]/.test(this.peek())) this.pos++;
        if (this.pos === start) this.fail('expected a key');
        keys.push(this.src.slice(start, this.pos));
      }
      this.skipSpaces();
      if (this.peek() !== '.') return keys;
      this.advance();
    }
  }

  /** Walks `keys` from `root`, creating tables; an array of tables stands for its last element. */
  private descend(root: TomlTable, keys: string[]): TomlTable {
    let t = root;
    for (const k of keys) {
      const v = t[k];
      if (v === undefined) {
        const next = table();
        t[k] = next;
        t = next;
      } else if (isTable(v)) {
        t = v;
      } else if (Array.isArray(v) && this.tableArrays.has(v)) {
        const last = v[v.length - 1];
        if (!isTable(last)) this.fail(`key ${k} is not a table`);
        t = last;
      } else {
        this.fail(`key ${k} is already a value`);
      }
    }
    return t;
  }

  private headerTable(root: TomlTable, keys: string[]): TomlTable {
    const t = this.descend(root, keys);
    if (this.defined.has(t)) this.fail(`table [${keys.join('.')}] defined twice`);
    this.defined.add(t);
    return t;
  }

  private arrayTable(root: TomlTable, keys: string[]): TomlTable {
    const parent = this.descend(root, keys.slice(0, -1));
    const last = keys[keys.length - 1] as string;
    let arr = parent[last];
    if (arr === undefined) {
      arr = [];
      this.tableArrays.add(arr);
      parent[last] = arr;
    } else if (!Array.isArray(arr) || !this.tableArrays.has(arr)) {
      this.fail(`[[${keys.join('.')}]] conflicts with an existing value`);
    }
    const t = table();
    arr.push(t);
    return t;
  }

  private keyValue(target: TomlTable, depth: number): void {
    const keys = this.key();
    if (this.peek() !== '=') this.fail('expected =');
    this.advance();
    this.skipSpaces();
    const value = this.value(depth);
    const parent = this.descend(target, keys.slice(0, -1));
    const last = keys[keys.length - 1] as string;
    if (Object.prototype.hasOwnProperty.call(parent, last)) this.fail(`duplicate key ${last}`);
    parent[last] = value;
  }

  private value(depth: number): TomlValue {
    if (depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH}`);
    const ch = this.peek();
    if (this.startsWith('"""')) return this.multilineBasic();
    if (this.startsWith("'''")) return this.multilineLiteral();
    if (ch === '"') return this.basicString();
    if (ch === "'") return this.literalString();
    if (ch === '[') return this.array(depth);
    if (ch === '{') return this.inlineTable(depth);
    if (this.startsWith('true')) {
      this.advance(4);
      return true;
    }
    if (this.startsWith('false')) {
      this.advance(5);
      return false;
    }
    return this.scalar();
  }

  /** Numbers and date-times: the run of value characters, then classified. */
  private scalar(): TomlValue {
    const start = this.pos;
    while (/[0-9A-Za-z_:.+\-]/.test(this.peek()) || (this.peek() === ' ' && /^\d{4}-\d\d-\d\d$/.test(this.src.slice(start, this.pos)) && /\d/.test(this.peek(1)))) this.pos++;
    const raw = this.src.slice(start, this.pos);
    if (raw === '') this.fail(`unexpected ${JSON.stringify(this.peek())}`);
    if (/^\d{4}-\d\d-\d\d|^\d\d:\d\d/.test(raw)) return raw;
    const clean = raw.replace(/_/g, '');
    if (/^[+-]?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+)$/.test(clean)) return Number(clean.replace(/^\+/, ''));
    if (/^[+-]?(inf|nan)$/.test(clean)) return clean.includes('nan') ? Number.NaN : clean.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(clean)) return Number(clean);
    return this.fail(`invalid value ${JSON.stringify(raw.slice(0, 40))}`);
  }

  private array(depth: number): TomlValue[] {
    this.advance();
    const out: TomlValue[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === ']') {
        this.advance();
        return out;
      }
      if (this.pos >= this.src.length) this.fail('unterminated array');
      out.push(this.value(depth + 1));
      this.skipBlank();
      if (this.peek() === ',') this.advance();
      else if (this.peek() !== ']') this.fail('expected , or ] in array');
    }
  }

  private inlineTable(depth: number): TomlTable {
    this.advance();
    const t = table();
    this.skipSpaces();
    if (this.peek() === '}') {
      this.advance();
      return t;
    }
    for (;;) {
      this.skipSpaces();
      this.keyValue(t, depth + 1);
      this.skipSpaces();
      if (this.peek() === ',') {
        this.advance();
        continue;
      }
      if (this.peek() === '}') {
        this.advance();
        this.defined.add(t);
        return t;
      }
      this.fail('expected , or } in inline table');
    }
  }

  private checkLength(n: number): void {
    if (n > MAX_STRING) this.fail(`string longer than ${MAX_STRING} characters`);
  }

  private escape(): string {
    const e = this.peek();
    this.advance();
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\', e: '\u001b' };
    if (e in simple) return simple[e] as string;
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = this.src.slice(this.pos, this.pos + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('invalid unicode escape');
      this.advance(len);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail('invalid unicode scalar');
      return String.fromCodePoint(cp);
    }
    return this.fail(`invalid escape \\${e}`);
  }

  private basicString(): string {
    this.advance();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === '' || ch === '\n') this.fail('unterminated string');
      this.advance();
      if (ch === '"') return out;
      out += ch === '\\' ? this.escape() : ch;
      this.checkLength(out.length);
    }
  }

  private literalString(): string {
    this.advance();
    const end = this.src.indexOf("'", this.pos);
    const nl = this.src.indexOf('\n', this.pos);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail('unterminated literal string');
    const out = this.src.slice(this.pos, end);
    this.checkLength(out.length);
    this.pos = end + 1;
    return out;
  }

  private multilineBasic(): string {
    this.advance(3);
    if (this.peek() === '\n') this.advance();
    else if (this.startsWith('\r\n')) this.advance(2);
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated multi-line string');
      if (this.startsWith('"""')) {
        // Up to two quotes may close the content right before the delimiter.
        let extra = 0;
        while (extra < 2 && this.peek(3 + extra) === '"') extra++;
        out += '"'.repeat(extra);
        this.advance(3 + extra);
        return out;
      }
      const ch = this.peek();
      this.advance();
      if (ch === '\\') {
        // Line-ending backslash trims the newline and the following whitespace.
        let look = this.pos;
        while (this.src[look] === ' ' || this.src[look] === '\t') look++;
        if (this.src[look] === '\n' || (this.src[look] === '\r' && this.src[look + 1] === '\n')) {
          while (/[ \t\r\n]/.test(this.peek())) this.advance();
          continue;
        }
        out += this.escape();
      } else out += ch;
      this.checkLength(out.length);
    }
  }

  private multilineLiteral(): string {
    this.advance(3);
    if (this.peek() === '\n') this.advance();
    else if (this.startsWith('\r\n')) this.advance(2);
    const end = this.src.indexOf("'''", this.pos);
    if (end < 0) this.fail('unterminated multi-line literal string');
    let stop = end;
    while (stop + 3 < this.src.length && this.src[stop + 3] === "'" && stop - end < 2) stop++;
    const out = this.src.slice(this.pos, stop);
    this.checkLength(out.length);
    this.advance(stop + 3 - this.pos);
    return out;
  }
}

export function parseToml(path: string, text: string): TomlTable {
  return new TomlReader(path, text).parse();
}

export function isTomlTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `[[package]]` tables of a lockfile (Cargo.lock, poetry.lock); entries that are not tables are left out. */
export function lockfilePackages(path: string, text: string): TomlTable[] {
  const packages = parseToml(path, text).package;
  if (packages === undefined) return [];
  if (!Array.isArray(packages)) throw formatError(path, '"package" is not an array of tables');
  return packages.filter(isTomlTable);
}
