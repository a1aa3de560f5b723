import { badVersion, compareDigits, compareStrings, defineScheme, stripZeros } from './version-scheme.js';

/**
 * Maven's ComparableVersion (maven-artifact 3.8.7, the one Debian ships; `.X` qualifiers read as `-X`): a version is a list of items split at `.`, `-` and
 * digit/letter transitions; `-` and a transition open a sub-list. Numbers compare numerically,
 * well-known qualifiers by rank (alpha < beta < milestone < rc < snapshot < "" = ga = final = release < sp),
 * other qualifiers after them lexically, and trailing "null" items (0, "", empty list) are dropped.
 */
type Item = NumberItem | StringItem | ListItem;
interface NumberItem { readonly t: 'n'; readonly digits: string }
interface StringItem { readonly t: 's'; readonly key: string }
interface ListItem { readonly t: 'l'; readonly items: Item[] }

export interface MavenVersion {
  readonly items: ListItem;
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

/** ComparableVersion's comparableQualifier: the rank as text, or "7-name" for unknown qualifiers. */
function qualifierKey(value: string): string {
  const i = QUALIFIERS.indexOf(value);
  return i === -1 ? `${QUALIFIERS.length}-${value}` : String(i);
}

function stringItem(raw: string, followedByDigit: boolean): StringItem {
  let value = raw;
  if (followedByDigit && value.length === 1) {
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { t: 's', key: qualifierKey(ALIASES[value] ?? value) };
}

const ZERO: NumberItem = { t: 'n', digits: '0' };

function parseItem(isDigit: boolean, buf: string): Item {
  return isDigit ? { t: 'n', digits: stripZeros(buf) } : stringItem(buf, false);
}

function isNull(item: Item): boolean {
  if (item.t === 'n') return item.digits === '0';
  if (item.t === 's') return item.key === RELEASE_INDEX;
  return item.items.length === 0;
}

function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const last = list.items[i]!;
    if (isNull(last)) list.items.splice(i, 1);
    else if (last.t !== 'l') break;
  }
}

const isDigitChar = (c: string): boolean => c >= '0' && c <= '9';

function parseMaven(version: string): MavenVersion {
  if (version.trim().length === 0) throw badVersion('Maven', version, 'is empty');
  if (/[\s\u0000-\u001f]/.test(version)) throw badVersion('Maven', version, 'contains whitespace or control characters');
  const v = version.toLowerCase();
  const root: ListItem = { t: 'l', items: [] };
  let list = root;
  const stack: ListItem[] = [root];
  let isDigit = false;
  let start = 0;
  const push = (): void => {
    const sub: ListItem = { t: 'l', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      list.items.push(i === start ? ZERO : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.items.push(i === start ? ZERO : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
      push();
    } else if (isDigitChar(c)) {
      if (!isDigit && i > start) {
        // 1.0.0.X1 < 1.0.0-X2: a qualifier after a dot is read as if after a hyphen.
        if (list.items.length > 0) push();
        list.items.push(stringItem(v.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(true, v.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    if (!isDigit && list.items.length > 0) push();
    list.items.push(parseItem(isDigit, v.slice(start)));
  }
  for (let k = stack.length - 1; k >= 0; k--) normalize(stack[k]!);
  return { items: root };
}

/** Item.compareTo(other), `other` undefined meaning "nothing there" (the shorter list ran out). */
function compareItem(a: Item, b: Item | undefined): number {
  if (a.t === 'n') {
    if (b === undefined) return a.digits === '0' ? 0 : 1;
    return b.t === 'n' ? compareDigits(a.digits, b.digits) : 1;
  }
  if (a.t === 's') {
    if (b === undefined) return compareStrings(a.key, RELEASE_INDEX);
    if (b.t === 's') return compareStrings(a.key, b.key);
    return -1;
  }
  if (b === undefined) {
    // Every item counts against "nothing", not only the first (MNG-6964): 1-0.2 > 1.
    for (const item of a.items) {
      const c = compareItem(item, undefined);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (b.t === 'n') return -1;
  if (b.t === 's') return 1;
  const n = Math.max(a.items.length, b.items.length);
  for (let i = 0; i < n; i++) {
    const l = a.items[i];
    const r = b.items[i];
    const c = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (c !== 0) return c;
  }
  return 0;
}

/** Maven: ComparableVersion order, as Maven resolves version ranges. */
export const mavenVersions = defineScheme<MavenVersion>('Maven', parseMaven, (a, b) => compareItem(a.items, b.items));
