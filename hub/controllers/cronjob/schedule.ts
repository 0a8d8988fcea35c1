/**
 * CronJob schedules through croner: standard five-field cron and the macros Kubernetes accepts
 * (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly), in spec.timeZone (IANA name)
 * or UTC; and the missed-schedule arithmetic of Kubernetes' cronjob controller (mostRecentScheduleTime).
 */
import { Cron } from 'croner';
import { ScheduleError } from '../errors.js';

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** Kubernetes' limit before it warns "too many missed start times". */
export const TOO_MANY_MISSED = 100;
/** The most schedule times counted between two reconciles (a minute schedule over ~2 years). */
const MAX_COUNTED = 1_000_000;


export interface Schedule {
  /** The first schedule time strictly after `from`, if any. */
  next(from: number): number | undefined;
}

export function parseSchedule(text: string, timeZone: string | undefined): Schedule {
  const trimmed = text.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) throw new ScheduleError('InvalidSchedule', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (trimmed.startsWith('@')) {
    if (!MACROS.has(trimmed)) throw new ScheduleError('InvalidSchedule', `unrecognized descriptor: ${trimmed}`);
  } else if (trimmed.split(/\s+/).length !== 5) {
    throw new ScheduleError('InvalidSchedule', `expected exactly 5 fields, found ${trimmed.split(/\s+/).length}: ${trimmed}`);
  }
  const pattern = trimmed === '@midnight' ? '@daily' : trimmed;
  if (timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new ScheduleError('UnknownTimeZone', `unknown time zone ${timeZone}`);
    }
  }
  let cron: Cron;
  try {
    // legacyMode: day-of-month OR day-of-week, as Vixie cron and Kubernetes
    cron = new Cron(pattern, { timezone: timeZone ?? 'UTC', paused: true, domAndDow: false });
  } catch (err) {
    throw new ScheduleError('InvalidSchedule', (err as Error).message, { cause: err });
  }
  return {
    next: (from) => cron.nextRun(new Date(from))?.getTime(),
  };
}

export interface MissedTimes {
  /** The most recent schedule time at or before now, after `earliest`. */
  mostRecent?: number;
  /** How many schedule times fell between `earliest` and now. */
  count: number;
  /** The first few of them (for the event naming them). */
  first: number[];
}

/** The schedule times in (earliest, now], as Kubernetes' mostRecentScheduleTime counts them. */
export function missedTimes(schedule: Schedule, earliest: number, now: number, keep = 10): MissedTimes {
  const first: number[] = [];
  let mostRecent: number | undefined;
  let count = 0;
  for (let t = schedule.next(earliest); t !== undefined && t <= now && count < MAX_COUNTED; t = schedule.next(t)) {
    count++;
    mostRecent = t;
    if (first.length < keep) first.push(t);
  }
  return { ...(mostRecent !== undefined ? { mostRecent } : {}), count, first };
}

/** Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"), as Kubernetes' MissSchedule event prints it. */
export function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/** RFC 3339 of `ms` in `timeZone` (UTC when unset, "Z"), as the scheduled-timestamp annotation. */
export function rfc3339In(ms: number, timeZone: string | undefined): string {
  if (timeZone === undefined) return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? 'Z' : String(parts.timeZoneName).replace(/^GMT/, '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
