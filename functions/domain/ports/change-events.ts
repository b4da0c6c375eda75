/** Ports of the change events out (docs/events.md): `audience.membership.changed`, one per recorded flip. */

/** The `detail` of one `audience.membership.changed` event (JSON Schema in docs/events.md). */
export interface MembershipChangedDetail {
  /** Stable per flip (set, member, version, direction): a redelivered event carries the same id, so consumers can drop duplicates. */
  readonly event_id: string;
  readonly workspace_id: string;
  readonly set_kind: 'cohort' | 'segment';
  readonly set_id: string;
  /** The member ids the hub knows: `braze_id` (plus `external_id` when the profile has one) for a cohort (profile) member, `visitor_id` for a segment visitor. */
  readonly member: { readonly braze_id?: string; readonly external_id?: string; readonly visitor_id?: string };
  readonly direction: 'entered' | 'exited';
  /** The order to apply changes of one member in one set by (delivery is unordered). */
  readonly version: string;
  readonly source?: Record<string, unknown>;
  readonly changed_at: string;
}

/**
 * Where change events go: the stack's EventBridge bus in AWS (`eventBridgePublisher`), a folder of
 * JSON lines locally (`folderPublisher`), an in-memory list in unit tests. `publish` resolves once
 * every event was accepted and throws otherwise (the caller's stream batch is then retried, so an
 * event may be published twice: at-least-once).
 */
export interface ChangeEventPublisher {
  publish(details: readonly MembershipChangedDetail[]): Promise<void>;
}
