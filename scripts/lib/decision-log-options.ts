/**
 * `workspace set --decision-log on|off [--decision-log-days N]`: the workspace's per-identifier
 * decision log (functions/domain/decision-log.ts); absent from a record means on, 14 days.
 */
import { DEFAULT_DECISION_LOG_DAYS, MAX_DECISION_LOG_DAYS } from '../../functions/domain/decision-log';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';

export const DECISION_LOG_FLAGS = { 'decision-log': { type: 'string' }, 'decision-log-days': { type: 'string' } } as const;

/** The new setting, undefined when neither flag is given; throws on a bad value. */
export const decisionLogUpdateFrom = (
  values: { 'decision-log'?: string | undefined; 'decision-log-days'?: string | undefined },
  current: WorkspaceRecord['decisionLog'],
): WorkspaceRecord['decisionLog'] => {
  const switched = values['decision-log'];
  const rawDays = values['decision-log-days'];
  if (switched === undefined && rawDays === undefined) return undefined;
  if (switched !== undefined && switched !== 'on' && switched !== 'off') throw new Error('--decision-log takes on or off');
  const days = rawDays === undefined ? (current?.days ?? DEFAULT_DECISION_LOG_DAYS) : Number(rawDays);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DECISION_LOG_DAYS) throw new Error(`--decision-log-days takes a whole number of days from 1 to ${MAX_DECISION_LOG_DAYS}`);
  return { enabled: switched === undefined ? (current?.enabled ?? true) : switched === 'on', days };
};
