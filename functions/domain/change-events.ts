/**
 * Change events out (docs/events.md): every flip the membership history records is published as
 * one `audience.membership.changed` event. `changeDetail` is pure: it builds the event's detail
 * from the flip alone, so a redelivered flip yields the identical detail (same `event_id`).
 */
import { createHash } from 'node:crypto';
import { isLive } from '../schemas/directory';
import type { MembershipFlip } from '../schemas/membership-history';
import { flipKey, recordChanges, type HistoryDeps } from './membership-history';
import type { ChangeEventPublisher, MembershipChangedDetail, ProfileReader } from './ports';

export const CHANGE_EVENT_SOURCE = 'audience-hub';
export const CHANGE_EVENT_DETAIL_TYPE = 'audience.membership.changed';

/**
 * The member ids a flip knows: a profile member is a braze id (plus its external id when the
 * profile has one), a segment visitor a visitor id.
 */
const memberIds = (flip: MembershipFlip, externalId: string | undefined): MembershipChangedDetail['member'] =>
  flip.memberKind === 'visitor' ? { visitor_id: flip.memberId } : { braze_id: flip.memberId, ...(externalId !== undefined ? { external_id: externalId } : {}) };

/**
 * The event detail of one applied flip. `externalId` (the profile's, looked up by the consumer) only
 * adds a member id: `event_id` is derived from the flip alone, so it stays stable whatever the lookup saw.
 */
export const changeDetail = (flip: MembershipFlip, externalId?: string): MembershipChangedDetail => ({
  event_id: createHash('sha256').update(flipKey(flip)).digest('hex').slice(0, 32),
  workspace_id: flip.workspaceId,
  set_kind: flip.setKind,
  set_id: flip.setId,
  member: memberIds(flip, externalId),
  direction: flip.direction,
  version: flip.version,
  ...(flip.source ? { source: { ...flip.source } } : {}),
  changed_at: flip.changedAt,
});

export interface ChangeDeps extends HistoryDeps {
  readonly events: ChangeEventPublisher;
  /** The users table's profiles (eventually consistent BatchGet), for the external ids of profile members. */
  readonly profiles: ProfileReader;
}

/**
 * External ids of the profile members of a batch's flips, by workspace then braze id: one batch
 * read per workspace (most batches hold one). A merged or deleted profile names no external id.
 */
export const externalIdsOf = async (profiles: ProfileReader, flips: readonly MembershipFlip[]): Promise<Map<string, Map<string, string>>> => {
  const byWorkspace = new Map<string, Set<string>>();
  for (const flip of flips) {
    if (flip.memberKind !== 'profile') continue;
    const ids = byWorkspace.get(flip.workspaceId) ?? new Set<string>();
    byWorkspace.set(flip.workspaceId, ids.add(flip.memberId));
  }
  const out = new Map<string, Map<string, string>>();
  for (const [workspaceId, brazeIds] of byWorkspace) {
    const found = await profiles.getProfiles(workspaceId, [...brazeIds]);
    const ids = new Map<string, string>();
    for (const [brazeId, profile] of found) {
      if (profile.externalId !== undefined && isLive(profile)) ids.set(brazeId, profile.externalId);
    }
    out.set(workspaceId, ids);
  }
  return out;
};

/**
 * The stream consumer's one step: records a batch's flips in the history (idempotent), then
 * publishes one event per recorded flip. A user's deletion records nothing, so it publishes
 * nothing (its ids are being forgotten). Profile members' external ids are read once per batch
 * (`externalIdsOf`). If publishing throws, the batch is retried whole: the history overwrites
 * itself and the events go out again (at-least-once, same `event_id`).
 */
export const recordAndPublish = async (
  deps: ChangeDeps,
  changes: Parameters<typeof recordChanges>[1],
): Promise<{ flips: MembershipFlip[]; details: MembershipChangedDetail[] }> => {
  const flips = await recordChanges(deps, changes);
  if (flips.length === 0) return { flips, details: [] };
  const externalIds = await externalIdsOf(deps.profiles, flips);
  const details = flips.map((flip) => changeDetail(flip, externalIds.get(flip.workspaceId)?.get(flip.memberId)));
  await deps.events.publish(details);
  return { flips, details };
};
