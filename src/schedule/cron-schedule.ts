import { Cron } from 'croner';
import { TrawlError } from '../errors/trawl-error.js';

/** Longest cron expression accepted; real ones are a few dozen characters. */
const MAX_CRON = 120;
/** Fires more often than this are refused: a scan per minute of the same assessment is the limit. */
const MIN_INTERVAL_MS = 60_000;

/**
 * Cron syntax as croner reads it (5 fields, or 6 with seconds; `@daily` and friends), in an IANA
 * time zone. Throws TRAWL_E_VALIDATION naming `field` when the expression or zone is invalid, or when
 * it would fire more than once a minute.
 */
export function checkCron(expression: string, timezone: string, field = 'body.cron'): void {
  if (expression.length === 0 || expression.length > MAX_CRON) throw new TrawlError('TRAWL_E_VALIDATION', `${field} must be 1 to ${MAX_CRON} characters`, { field });
  if (!isTimeZone(timezone)) throw new TrawlError('TRAWL_E_VALIDATION', `body.timezone "${timezone}" is not an IANA time zone`, { field: 'body.timezone', value: timezone });
  let job: Cron;
  try {
    job = new Cron(expression, { timezone, paused: true });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const bad = /time ?zone/i.test(reason) ? 'body.timezone' : field;
    throw new TrawlError('TRAWL_E_VALIDATION', `${bad} is invalid: ${reason}`, { field: bad, value: bad === field ? expression : timezone });
  }
  try {
    const [a, b] = job.nextRuns(2, new Date());
    if (a && b && b.getTime() - a.getTime() < MIN_INTERVAL_MS) {
      throw new TrawlError('TRAWL_E_VALIDATION', `${field} "${expression}" fires more than once a minute`, { field, value: expression });
    }
  } finally {
    job.stop();
  }
}

/** The first fire time strictly after `from`, or null when the expression never fires again. */
export function nextRunAfter(expression: string, timezone: string, from: Date): Date | null {
  const job = new Cron(expression, { timezone, paused: true });
  try {
    return job.nextRun(from);
  } finally {
    job.stop();
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
