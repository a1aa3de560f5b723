/**
 * Go's time layouts ("2006-01-02 15:04:05") as nuclei's date_time / to_unix_time use them, plus the
 * "%Y-%M-%D" shorthand date_time also accepts. The layout is split into tokens the way Go's
 * nextStdChunk does (so "Jan" inside "Janet" stays literal), then formatted or turned into a
 * parser. Times are UTC: the engine has no notion of the scanned host's zone.
 */

type Std =
  | 'LongMonth' | 'Month' | 'NumMonth' | 'ZeroMonth'
  | 'LongWeekDay' | 'WeekDay'
  | 'Day' | 'UnderDay' | 'ZeroDay' | 'ZeroYearDay' | 'UnderYearDay'
  | 'Hour' | 'Hour12' | 'ZeroHour12'
  | 'Minute' | 'ZeroMinute' | 'Second' | 'ZeroSecond'
  | 'LongYear' | 'Year' | 'PM' | 'pm' | 'TZ'
  | 'ISO8601TZ' | 'ISO8601ColonTZ' | 'ISO8601ShortTZ' | 'ISO8601SecondsTZ' | 'ISO8601ColonSecondsTZ'
  | 'NumTZ' | 'NumColonTZ' | 'NumShortTZ' | 'NumSecondsTz' | 'NumColonSecondsTZ';

type Chunk = { readonly lit: string } | { readonly std: Std } | { readonly frac: number; readonly trim: boolean; readonly sep: string };

const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** One std chunk at `s[i]`, or undefined when the text there is literal. Mirrors Go's nextStdChunk. */
function stdAt(s: string, i: number): { chunk: Chunk; len: number } | undefined {
  const c = s[i]!;
  const at = (t: string): boolean => s.startsWith(t, i);
  const std = (x: Std, len: number): { chunk: Chunk; len: number } => ({ chunk: { std: x }, len });
  switch (c) {
    case 'J':
      if (at('Jan')) {
        if (at('January')) return std('LongMonth', 7);
        if (!isLower(s[i + 3])) return std('Month', 3);
      }
      return undefined;
    case 'M':
      if (at('Mon')) {
        if (at('Monday')) return std('LongWeekDay', 6);
        if (!isLower(s[i + 3])) return std('WeekDay', 3);
      }
      if (at('MST')) return std('TZ', 3);
      return undefined;
    case '0':
      if (at('002')) return std('ZeroYearDay', 3);
      if (s[i + 1] !== undefined && s[i + 1]! >= '1' && s[i + 1]! <= '6') {
        const m: Record<string, Std> = { '1': 'ZeroMonth', '2': 'ZeroDay', '3': 'ZeroHour12', '4': 'ZeroMinute', '5': 'ZeroSecond', '6': 'Year' };
        return std(m[s[i + 1]!]!, 2);
      }
      return undefined;
    case '1':
      if (at('15')) return std('Hour', 2);
      return std('NumMonth', 1);
    case '2':
      if (at('2006')) return std('LongYear', 4);
      return std('Day', 1);
    case '_':
      if (at('_2')) {
        // "_2006" is a literal underscore followed by the year.
        if (at('_2006')) return { chunk: { lit: '_' }, len: 1 };
        return std('UnderDay', 2);
      }
      if (at('__2')) return std('UnderYearDay', 3);
      return undefined;
    case '3':
      return std('Hour12', 1);
    case '4':
      return std('Minute', 1);
    case '5':
      return std('Second', 1);
    case 'P':
      return at('PM') ? std('PM', 2) : undefined;
    case 'p':
      return at('pm') ? std('pm', 2) : undefined;
    case '-':
      if (at('-070000')) return std('NumSecondsTz', 7);
      if (at('-07:00:00')) return std('NumColonSecondsTZ', 9);
      if (at('-0700')) return std('NumTZ', 5);
      if (at('-07:00')) return std('NumColonTZ', 6);
      if (at('-07')) return std('NumShortTZ', 3);
      return undefined;
    case 'Z':
      if (at('Z070000')) return std('ISO8601SecondsTZ', 7);
      if (at('Z07:00:00')) return std('ISO8601ColonSecondsTZ', 9);
      if (at('Z0700')) return std('ISO8601TZ', 5);
      if (at('Z07:00')) return std('ISO8601ColonTZ', 6);
      if (at('Z07')) return std('ISO8601ShortTZ', 3);
      return undefined;
    case '.':
    case ',':
      if (s[i + 1] === '0' || s[i + 1] === '9') {
        const ch = s[i + 1]!;
        let j = i + 1;
        while (s[j] === ch) j++;
        if (!isDigit(s[j])) return { chunk: { frac: j - (i + 1), trim: ch === '9', sep: c }, len: j - i };
      }
      return undefined;
    default:
      return undefined;
  }
}

function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let lit = '';
  for (let i = 0; i < layout.length; ) {
    const hit = stdAt(layout, i);
    if (hit) {
      if (lit !== '') out.push({ lit });
      lit = '';
      out.push(hit.chunk);
      i += hit.len;
    } else {
      lit += layout[i];
      i++;
    }
  }
  if (lit !== '') out.push({ lit });
  return out;
}

const pad = (n: number, w: number, ch = '0'): string => String(n).padStart(w, ch);

function yearDay(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Go's Time.Format for a UTC time. */
export function formatGoTime(layout: string, d: Date): string {
  let out = '';
  const h = d.getUTCHours();
  for (const c of chunks(layout)) {
    if ('lit' in c) {
      out += c.lit;
      continue;
    }
    if ('frac' in c) {
      let digits = pad(d.getUTCMilliseconds(), 3) + '000000';
      digits = digits.slice(0, c.frac);
      if (c.trim) digits = digits.replace(/0+$/, '');
      if (digits !== '') out += c.sep + digits;
      continue;
    }
    switch (c.std) {
      case 'LongMonth': out += LONG_MONTHS[d.getUTCMonth()]; break;
      case 'Month': out += LONG_MONTHS[d.getUTCMonth()]!.slice(0, 3); break;
      case 'NumMonth': out += String(d.getUTCMonth() + 1); break;
      case 'ZeroMonth': out += pad(d.getUTCMonth() + 1, 2); break;
      case 'LongWeekDay': out += LONG_DAYS[d.getUTCDay()]; break;
      case 'WeekDay': out += LONG_DAYS[d.getUTCDay()]!.slice(0, 3); break;
      case 'Day': out += String(d.getUTCDate()); break;
      case 'UnderDay': out += pad(d.getUTCDate(), 2, ' '); break;
      case 'ZeroDay': out += pad(d.getUTCDate(), 2); break;
      case 'ZeroYearDay': out += pad(yearDay(d), 3); break;
      case 'UnderYearDay': out += pad(yearDay(d), 3, ' '); break;
      case 'Hour': out += pad(h, 2); break;
      case 'Hour12': out += String(h % 12 === 0 ? 12 : h % 12); break;
      case 'ZeroHour12': out += pad(h % 12 === 0 ? 12 : h % 12, 2); break;
      case 'Minute': out += String(d.getUTCMinutes()); break;
      case 'ZeroMinute': out += pad(d.getUTCMinutes(), 2); break;
      case 'Second': out += String(d.getUTCSeconds()); break;
      case 'ZeroSecond': out += pad(d.getUTCSeconds(), 2); break;
      case 'LongYear': out += pad(d.getUTCFullYear(), 4); break;
      case 'Year': out += pad(d.getUTCFullYear() % 100, 2); break;
      case 'PM': out += h >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += h >= 12 ? 'pm' : 'am'; break;
      case 'TZ': out += 'UTC'; break;
      case 'ISO8601TZ': case 'ISO8601ColonTZ': case 'ISO8601ShortTZ': case 'ISO8601SecondsTZ': case 'ISO8601ColonSecondsTZ': out += 'Z'; break;
      case 'NumTZ': out += '+0000'; break;
      case 'NumColonTZ': out += '+00:00'; break;
      case 'NumShortTZ': out += '+00'; break;
      case 'NumSecondsTz': out += '+000000'; break;
      case 'NumColonSecondsTZ': out += '+00:00:00'; break;
    }
  }
  return out;
}

const SIMPLE = /%([A-Za-z])/g;

/**
 * nuclei's date_time: a format holding %X fragments uses its shorthand (%Y/%y year, %M month,
 * %D/%d day, %H/%h hour, %m minute, %S/%s second — two digits, any other letter an error);
 * otherwise the format is a Go layout.
 */
export function formatDateTime(format: string, d: Date): string {
  if (!/%[A-Za-z]/.test(format)) return formatGoTime(format, d);
  const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return format.replace(SIMPLE, (whole, k: string) => {
    switch (k) {
      case 'Y':
      case 'y':
        return two(d.getUTCFullYear());
      case 'M':
        return two(d.getUTCMonth() + 1);
      case 'D':
      case 'd':
        return two(d.getUTCDate());
      case 'H':
      case 'h':
        return two(d.getUTCHours());
      case 'm':
        return two(d.getUTCMinutes());
      case 'S':
      case 's':
        return two(d.getUTCSeconds());
      default:
        throw new RangeError(`invalid date time format string: ${whole}`);
    }
  });
}

const NUM: Partial<Record<Std, string>> = {
  NumMonth: '(\\d{1,2})', ZeroMonth: '(\\d{2})', Day: '(\\d{1,2})', UnderDay: '( \\d|\\d{2})', ZeroDay: '(\\d{2})',
  Hour: '(\\d{2})', Hour12: '(\\d{1,2})', ZeroHour12: '(\\d{2})', Minute: '(\\d{1,2})', ZeroMinute: '(\\d{2})',
  Second: '(\\d{1,2})', ZeroSecond: '(\\d{2})', LongYear: '(\\d{4})', Year: '(\\d{2})', ZeroYearDay: '(\\d{3})', UnderYearDay: '([ \\d]{3})',
};

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Go's time.Parse for the layouts templates use: unix seconds, or undefined when `text` does not
 * fit. A layout without a zone is UTC, as in Go.
 */
export function parseGoTime(layout: string, text: string): number | undefined {
  const list = chunks(layout);
  let re = '^';
  const roles: Array<Std | 'frac'> = [];
  for (const [ci, c] of list.entries()) {
    if ('lit' in c) re += escapeRe(c.lit);
    else if ('frac' in c) {
      re += c.trim ? `(?:[.,](\\d+))?` : `[.,](\\d{${c.frac}})`;
      roles.push('frac');
    } else {
      const s = c.std;
      let piece = NUM[s];
      if (piece === undefined) {
        if (s === 'LongMonth') piece = `(${LONG_MONTHS.join('|')})`;
        else if (s === 'Month') piece = `(${LONG_MONTHS.map((m) => m.slice(0, 3)).join('|')})`;
        else if (s === 'LongWeekDay') piece = `(${LONG_DAYS.join('|')})`;
        else if (s === 'WeekDay') piece = `(${LONG_DAYS.map((m) => m.slice(0, 3)).join('|')})`;
        else if (s === 'PM' || s === 'pm') piece = '(AM|PM|am|pm)';
        else if (s === 'TZ') piece = '([A-Z]{3,5}|[+-]\\d{2,4})';
        else if (s.startsWith('ISO8601')) piece = '(Z|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)';
        else piece = '([+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)';
      }
      re += piece;
      roles.push(s);
      // Go accepts fractional seconds after a seconds field even when the layout has none.
      const next = list[ci + 1];
      if ((s === 'Second' || s === 'ZeroSecond') && !(next !== undefined && 'frac' in next)) {
        re += '(?:[.,](\\d+))?';
        roles.push('frac');
      }
    }
  }
  const m = new RegExp(`${re}$`).exec(text);
  if (!m) return undefined;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let ms = 0;
  let pm: boolean | undefined;
  let offsetMin = 0;
  for (const [k, role] of roles.entries()) {
    const v = m[k + 1];
    if (v === undefined) continue;
    switch (role) {
      case 'LongMonth': month = LONG_MONTHS.indexOf(v) + 1; break;
      case 'Month': month = LONG_MONTHS.findIndex((x) => x.startsWith(v)) + 1; break;
      case 'NumMonth': case 'ZeroMonth': month = Number(v); break;
      case 'Day': case 'UnderDay': case 'ZeroDay': day = Number(v.trim()); break;
      case 'Hour': hour = Number(v); break;
      case 'Hour12': case 'ZeroHour12': hour = Number(v) % 12; break;
      case 'Minute': case 'ZeroMinute': min = Number(v); break;
      case 'Second': case 'ZeroSecond': sec = Number(v); break;
      case 'LongYear': year = Number(v); break;
      case 'Year': year = Number(v) + (Number(v) >= 69 ? 1900 : 2000); break;
      case 'PM': case 'pm': pm = v.toUpperCase() === 'PM'; break;
      case 'frac': ms = Math.floor(Number(`0.${v}`) * 1000); break;
      case 'TZ': break; // an abbreviation Go does not know is taken as UTC
      case 'LongWeekDay': case 'WeekDay': case 'ZeroYearDay': case 'UnderYearDay': break;
      default: {
        if (v === 'Z') break;
        const z = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?$/.exec(v);
        if (!z) return undefined;
        offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
      }
    }
  }
  if (pm !== undefined && pm) hour += 12;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) return undefined;
  const t = Date.UTC(year, month - 1, day, hour, min, sec, ms);
  // Date.UTC maps years 0..99 to 1900..1999; Go does not.
  const fixed = year >= 0 && year < 100 ? new Date(t).setUTCFullYear(year) : t;
  const check = new Date(fixed);
  if (check.getUTCDate() !== day) return undefined; // 31 February and the like
  return Math.floor((fixed - offsetMin * 60_000) / 1000);
}

/** The layouts nuclei's to_unix_time tries when none is given. */
export const DEFAULT_DATE_LAYOUTS: readonly string[] = [
  '2006-01-02T15:04:05Z07:00',
  '2006-01-02 15:04:05 Z07:00',
  '2006-01-02 15:04:05',
  '2006-01-02 15:04 Z07:00',
  '2006-01-02 15:04',
  '2006-01-02 Z07:00',
  '2006-01-02',
];
