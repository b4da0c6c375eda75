/** Parsing of the events read API's query parameters (pure): values, or `invalid` outcomes saying why not. */
import { MAX_EVENT_TIME_SECONDS } from '../schemas/currents';
import { fitsKey, keyBytesMessage, type KeyInput } from '../schemas/key-bytes';
import { invalid, ok, type Outcome } from './outcomes';

/**
 * A request value the read puts into a key (`type`, `brazeId`): invalid over its byte budget, since
 * no stored key can hold it and DynamoDB refuses an over-long key with a ValidationException (a 500).
 */
export const keyFits = (name: string, input: KeyInput, value: string): Outcome<string> => {
  if (fitsKey(input, value)) return ok(value);
  const message = keyBytesMessage(name, input);
  return invalid(message, [message]);
};

/** Exclusive upper bound used when `to` is absent: beyond any storable event time. */
export const END_OF_TIME_MS = (MAX_EVENT_TIME_SECONDS + 1) * 1000;

/**
 * A time parameter: integer UNIX seconds (Currents' own unit) or an ISO-8601 date/time.
 * Returns epoch ms, or `fallback` when absent.
 */
export const parseTimeParam = (name: string, raw: string | undefined, fallback: number): Outcome<number> => {
  if (raw === undefined || raw === '') return ok(fallback);
  if (/^\d+$/.test(raw)) {
    const seconds = Number(raw);
    return seconds > MAX_EVENT_TIME_SECONDS ? invalid(`${name} is out of range`) : ok(seconds * 1000);
  }
  const ms = Date.parse(raw);
  return Number.isNaN(ms) || ms < 0 ? invalid(`${name} must be UNIX seconds or an ISO-8601 date`) : ok(ms);
};

export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** `from` and `to` read with their defaults, `to` later than `from`. */
const parseBounds = (query: Readonly<Record<string, string>>, toFallback: number): Outcome<TimeRange> => {
  const fromMs = parseTimeParam('from', query.from, 0);
  if (!fromMs.ok) return fromMs;
  const toMs = parseTimeParam('to', query.to, toFallback);
  if (!toMs.ok) return toMs;
  return toMs.value <= fromMs.value ? invalid('to must be later than from') : ok({ fromMs: fromMs.value, toMs: toMs.value });
};

/** `from` (inclusive) and `to` (exclusive) in epoch ms. */
export const parseRange = (query: Readonly<Record<string, string>>): Outcome<TimeRange> => parseBounds(query, END_OF_TIME_MS);

/** Longest span the type query accepts: the default retention. */
export const MAX_TYPE_RANGE_DAYS = 400;
/** Day shards read by one request at most; the cursor continues from the next one. */
export const MAX_DAYS_PER_PAGE = 31;

const DAY_MS = 86_400_000;

/** The UTC days (YYYY-MM-DD) that [fromMs, toMs) touches, oldest first. */
export const utcDaysBetween = (fromMs: number, toMs: number): string[] => {
  const days: string[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < toMs; day += DAY_MS) days.push(new Date(day).toISOString().slice(0, 10));
  return days;
};

/** Range of the type query: `from` required, `to` defaulting to now, at most MAX_TYPE_RANGE_DAYS. */
export const parseTypeRange = (query: Readonly<Record<string, string>>, nowMs: number): Outcome<TimeRange> => {
  if (!query.from) return invalid('from is required');
  const range = parseBounds(query, nowMs + 1);
  if (!range.ok) return range;
  return range.value.toMs - range.value.fromMs > MAX_TYPE_RANGE_DAYS * DAY_MS ? invalid(`the range can span at most ${MAX_TYPE_RANGE_DAYS} days`) : range;
};
