/**
 * Checks the assessment form makes before it asks the server, each answering with a sentence that
 * says what is wrong and what would be right. The server checks everything again (and more: target
 * syntax, the organisation's scope, how often a schedule fires); its answers go next to the field too.
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Day fields also take croner's L / W / # forms, which are left to the server. */
  readonly day?: boolean;
}

const MINUTE: CronField = { name: 'minute', min: 0, max: 59 };
const FIELDS: readonly CronField[] = [
  MINUTE,
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of the month', min: 1, max: 31, day: true },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of the week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], day: true },
];
const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function valueOf(text: string, f: CronField): number | undefined {
  if (/^\d{1,4}$/.test(text)) return Number(text);
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  return i < 0 ? undefined : i + (f.name === 'month' ? 1 : 0);
}

function fieldProblem(text: string, f: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return 'an empty list entry (two commas in a row, or one at an end)';
    const parts = item.split('/');
    if (parts.length > 2) return `"${item}" has more than one "/"`;
    const [range = '', step] = parts;
    if (step !== undefined && !(/^\d{1,4}$/.test(step) && Number(step) > 0)) return `"${item}": the step after "/" must be a whole number above 0`;
    if (range === '*' || range === '?') continue;
    if (f.day && /[LW#]/i.test(range)) continue;
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) return `"${range}" is not a value or a range such as 1-5`;
    for (const b of bounds) {
      const v = valueOf(b, f);
      if (v === undefined) return `"${b}" is not a number${f.names ? ` or a name (${f.names.slice(0, 3).join(', ')}…)` : ''}`;
      if (v < f.min || v > f.max) return `${v} is out of range: ${f.name === 'day of the week' ? 'days of the week' : `${f.name}s`} run from ${f.min} to ${f.max}`;
    }
  }
  return undefined;
}

/** What is wrong with a cron expression, or undefined when it looks right. */
export function cronProblem(expression: string): string | undefined {
  const t = expression.trim();
  if (t === '') return 'Give a cron expression, for example "0 3 * * *" (every day at 03:00).';
  if (t.startsWith('@')) return NICKNAMES.includes(t.toLowerCase()) ? undefined : `"${t}" is not a shorthand cron knows; use one of ${NICKNAMES.join(', ')}.`;
  const parts = t.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return `A cron expression has 5 fields (minute, hour, day of the month, month, day of the week) and this one has ${parts.length}. For example "0 3 * * 1" runs every Monday at 03:00.`;
  }
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const f = fields[i]!;
    const p = fieldProblem(parts[i]!, f);
    if (p) return `Field ${i + 1} (${f.name}): ${p}.`;
  }
  return undefined;
}

export function timeZoneProblem(tz: string): string | undefined {
  if (tz.trim() === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz.trim() });
    return undefined;
  } catch {
    return `"${tz.trim()}" is not an IANA time zone name; use for example UTC, Europe/Paris or America/New_York.`;
  }
}

const ZONE = /^[A-Za-z0-9._-]{1,64}$/;
const TAG = /^[A-Za-z0-9._:/-]{1,64}$/;

export function zoneProblem(zone: string): string | undefined {
  const z = zone.trim();
  if (z === '' || ZONE.test(z)) return undefined;
  return z.length > 64 ? 'A zone name has at most 64 characters.' : `"${z}" is not a zone name: one word of letters, digits, ".", "_" or "-", such as external or dmz.`;
}

export function tagsProblem(tags: readonly string[]): string | undefined {
  const bad = tags.find((t) => !TAG.test(t));
  if (bad !== undefined) return bad.length > 64 ? `The tag "${bad.slice(0, 20)}…" is longer than 64 characters.` : `"${bad}" is not a tag: letters, digits and . _ : / - only (separate tags with commas or spaces).`;
  if (tags.length > 50) return `At most 50 tags; there are ${tags.length}.`;
  return undefined;
}
