/**
 * Change events out (docs/events.md): every flip the membership history records is published as
 * one `audience.membership.changed` event. `changeDetail` is pure: it builds the event's detail
 * from the flip alone, so a redelivered flip yields the identical detail (same `event_id`).
 */
import { createHash } from 'node:crypto';
import type { MembershipFlip } from '../schemas/membership-history';
import { flipKey, recordChanges, type HistoryDeps } from './membership-history';
import type { ChangeEventPublisher, MembershipChangedDetail } from './ports';

export const CHANGE_EVENT_SOURCE = 'audience-hub';
export const CHANGE_EVENT_DETAIL_TYPE = 'audience.membership.changed';

/** The member ids a flip knows: a profile member is a braze id, a segment visitor a visitor id. */
const memberIds = (flip: MembershipFlip): MembershipChangedDetail['member'] =>
  flip.memberKind === 'visitor' ? { visitor_id: flip.memberId } : { braze_id: flip.memberId };

/** The event detail of one applied flip. */
export const changeDetail = (flip: MembershipFlip): MembershipChangedDetail => ({
  event_id: createHash('sha256').update(flipKey(flip)).digest('hex').slice(0, 32),
  workspace_id: flip.workspaceId,
  set_kind: flip.setKind,
  set_id: flip.setId,
  member: memberIds(flip),
  direction: flip.direction,
  version: flip.version,
  ...(flip.source ? { source: { ...flip.source } } : {}),
  changed_at: flip.changedAt,
});

export interface ChangeDeps extends HistoryDeps {
  readonly events: ChangeEventPublisher;
}

/**
 * The stream consumer's one step: records a batch's flips in the history (idempotent), then
 * publishes one event per recorded flip. A user's deletion records nothing, so it publishes
 * nothing (its ids are being forgotten). If publishing throws, the batch is retried whole: the
 * history overwrites itself and the events go out again (at-least-once, same `event_id`).
 */
export const recordAndPublish = async (deps: ChangeDeps, changes: Parameters<typeof recordChanges>[1]): Promise<MembershipFlip[]> => {
  const flips = await recordChanges(deps, changes);
  if (flips.length > 0) await deps.events.publish(flips.map(changeDetail));
  return flips;
};
