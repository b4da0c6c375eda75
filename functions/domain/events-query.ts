/** Parsing of the events read API's query parameters (pure). */
import { BadRequestError } from '../shared/errors';
import { MAX_EVENT_TIME_SECONDS } from '../schemas/currents';
import { fitsKey, keyBytesMessage, type KeyInput } from '../schemas/key-bytes';

/**
 * A request value the read puts into a key (`type`, `brazeId`): 400 over its byte budget, since no
 * stored key can hold it and DynamoDB refuses an over-long key with a ValidationException (a 500).
 */
export const requireKeyFits = (name: string, input: KeyInput, value: string): string => {
  if (fitsKey(input, value)) return value;
  const message = keyBytesMessage(name, input);
  throw new BadRequestError(message, [message]);
};

/** Exclusive upper bound used when `to` is absent: beyond any storable event time. */
export const END_OF_TIME_MS = (MAX_EVENT_TIME_SECONDS + 1) * 1000;

/**
 * A time parameter: integer UNIX seconds (Currents' own unit) or an ISO-8601 date/time.
 * Returns epoch ms, or `fallback` when absent.
 */
export const parseTimeParam = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  if (/^\d+$/.test(raw)) {
    const seconds = Number(raw);
    if (seconds > MAX_EVENT_TIME_SECONDS) throw new BadRequestError(`${name} is out of range`);
    return seconds * 1000;
  }
  const ms = Date.parse(raw);
  if (Number.isNaN(ms) || ms < 0) throw new BadRequestError(`${name} must be UNIX seconds or an ISO-8601 date`);
  return ms;
};

/** `from` (inclusive) and `to` (exclusive) in epoch ms. */
export const parseRange = (query: Readonly<Record<string, string>>): { fromMs: number; toMs: number } => {
  const fromMs = parseTimeParam('from', query.from, 0);
  const toMs = parseTimeParam('to', query.to, END_OF_TIME_MS);
  if (toMs <= fromMs) throw new BadRequestError('to must be later than from');
  return { fromMs, toMs };
};

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
export const parseTypeRange = (query: Readonly<Record<string, string>>, nowMs: number): { fromMs: number; toMs: number } => {
  if (!query.from) throw new BadRequestError('from is required');
  const fromMs = parseTimeParam('from', query.from, 0);
  const toMs = parseTimeParam('to', query.to, nowMs + 1);
  if (toMs <= fromMs) throw new BadRequestError('to must be later than from');
  if (toMs - fromMs > MAX_TYPE_RANGE_DAYS * DAY_MS) throw new BadRequestError(`the range can span at most ${MAX_TYPE_RANGE_DAYS} days`);
  return { fromMs, toMs };
};
