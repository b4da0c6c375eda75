/**
 * `--grace <period>` of `workspace rotate`: how long the old value keeps working. `0` revokes it at
 * once (after a leak); otherwise a whole number of seconds, minutes, hours or days (`90s`, `30m`,
 * `24h`, `7d`). Absent: 24 h, time for every partner to take the new value without an outage.
 */
export const DEFAULT_GRACE = '24h';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** The grace in seconds, or undefined when unreadable. */
export const parseGraceOption = (raw: string | undefined): number | undefined => {
  const text = (raw ?? DEFAULT_GRACE).trim();
  if (text === '0') return 0;
  const match = /^(\d{1,7})(s|m|h|d)$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
};
