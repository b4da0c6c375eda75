-- Athena tables over the hub's DynamoDB exports (DYNAMODB_JSON: one {"Item":{...}} per line, gzipped).
-- Replace <export-bucket> and <exportId> (each daily export writes exports/<table>/AWSDynamoDB/<exportId>/).
-- Columns mirror DynamoDB's typed JSON: a string attribute is struct<S: string>, a number struct<N: string>.
-- test/integration/analyst-ddl.test.ts checks these declarations against a sample export.
-- The full Currents history is not in these exports (DynamoDB keeps only the hot window, EVENT_HOT_DAYS):
-- it is the archive bucket, read by currents_events at the end of this file.

CREATE EXTERNAL TABLE IF NOT EXISTS hub_users (
  Item struct<
    pk: struct<S: string>,
    sk: struct<S: string>,
    workspaceId: struct<S: string>,
    brazeId: struct<S: string>,
    externalId: struct<S: string>,
    aliases: struct<M: map<string, struct<S: string>>>,
    deviceIds: struct<L: array<struct<S: string>>>,
    mergedInto: struct<S: string>,
    deletedAt: struct<S: string>,
    identityVersion: struct<N: string>,
    createdAt: struct<S: string>,
    updatedAt: struct<S: string>
  >
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<export-bucket>/exports/users/AWSDynamoDB/<exportId>/data/';

CREATE EXTERNAL TABLE IF NOT EXISTS hub_aliases (
  Item struct<
    pk: struct<S: string>,
    sk: struct<S: string>,
    workspaceId: struct<S: string>,
    key: struct<S: string>,
    profileId: struct<S: string>,
    ownerIdentified: struct<BOOL: boolean>,
    claimedAt: struct<S: string>
  >
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<export-bucket>/exports/aliases/AWSDynamoDB/<exportId>/data/';

CREATE EXTERNAL TABLE IF NOT EXISTS hub_cohorts (
  Item struct<
    pk: struct<S: string>,
    sk: struct<S: string>,
    workspaceId: struct<S: string>,
    setKind: struct<S: string>,
    setId: struct<S: string>,
    name: struct<S: string>,
    sourcePartner: struct<S: string>,
    memberCount: struct<N: string>,
    createdAt: struct<S: string>,
    updatedAt: struct<S: string>,
    lastChangeAt: struct<S: string>,
    memberKind: struct<S: string>,
    memberId: struct<S: string>,
    status: struct<S: string>,
    version: struct<S: string>,
    changedAt: struct<S: string>,
    importId: struct<S: string>,
    cohortId: struct<S: string>,
    partner: struct<S: string>,
    matched: struct<N: string>,
    unmatched: struct<N: string>,
    added: struct<N: string>,
    removed: struct<N: string>,
    unchanged: struct<N: string>,
    duplicate: struct<N: string>,
    conflicts: struct<N: string>,
    receivedAt: struct<S: string>,
    kind: struct<S: string>,
    parts: struct<N: string>,
    stale: struct<N: string>,
    received: struct<M: map<string, struct<N: string>>>,
    unmatchedSamples: struct<L: array<struct<S: string>>>,
    conflictSamples: struct<L: array<struct<S: string>>>,
    partsApplied: struct<NS: array<string>, SS: array<string>>,
    nameVersion: struct<S: string>,
    syncVersion: struct<S: string>,
    lastSync: struct<M: map<string, struct<S: string, N: string>>>,
    syncTaskId: struct<S: string>,
    totalPages: struct<N: string>,
    firstPageAt: struct<S: string>,
    lastPageAt: struct<S: string>,
    unmatched_user_ids_unknown_identifier: struct<N: string>,
    unmatched_user_ids_malformed: struct<N: string>,
    unmatched_user_ids_merged_profile_followed: struct<N: string>,
    unmatched_device_ids_unknown_identifier: struct<N: string>,
    unmatched_device_ids_device_of_identified_profile: struct<N: string>,
    unmatched_device_ids_malformed: struct<N: string>,
    unmatched_device_ids_merged_profile_followed: struct<N: string>,
    unmatched_aliases_unknown_identifier: struct<N: string>,
    unmatched_aliases_malformed: struct<N: string>,
    unmatched_aliases_merged_profile_followed: struct<N: string>,
    unmatchedSamples_unknown_identifier: struct<L: array<struct<S: string>>>,
    unmatchedSamples_device_of_identified_profile: struct<L: array<struct<S: string>>>,
    unmatchedSamples_malformed: struct<L: array<struct<S: string>>>,
    unmatchedSamples_merged_profile_followed: struct<L: array<struct<S: string>>>,
    file: struct<S: string>,
    source: struct<S: string, M: struct<kind: struct<S: string>, importId: struct<S: string>, partner: struct<S: string>, syncTaskId: struct<S: string>, page: struct<N: string>, audience: struct<S: string>, mergedFrom: struct<S: string>, mergedInto: struct<S: string>, identifier: struct<M: struct<kind: struct<S: string>, value: struct<S: string>, label: struct<S: string>, name: struct<S: string>>>>>,
    format: struct<S: string>,
    segmentId: struct<S: string>,
    exportStartedAt: struct<S: string>,
    startedAt: struct<S: string>,
    importCounts: struct<M: map<string, struct<N: string>>>,
    importConflictSamples: struct<L: array<struct<M: struct<line: struct<N: string>, identifier: struct<S: string>, reason: struct<S: string>>>>>,
    importRejectSamples: struct<L: array<struct<M: struct<line: struct<N: string>, reason: struct<S: string>>>>>,
    seq: struct<N: string>,
    legacy: struct<BOOL: boolean>,
    movedFrom: struct<S: string>,
    holder: struct<M: struct<token: struct<S: string>, until: struct<N: string>>>,
    pending: struct<M: struct<token: struct<S: string>, delta: struct<N: string>>>
  >
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<export-bucket>/exports/cohorts/AWSDynamoDB/<exportId>/data/';

CREATE EXTERNAL TABLE IF NOT EXISTS hub_events (
  Item struct<
    pk: struct<S: string>,
    sk: struct<S: string>,
    workspaceId: struct<S: string>,
    eventId: struct<S: string>,
    eventType: struct<S: string>,
    brazeId: struct<S: string>,
    time: struct<N: string>,
    receivedAt: struct<N: string>,
    expiresAt: struct<N: string>,
    event: struct<S: string>,
    reason: struct<S: string>,
    index: struct<N: string>,
    raw: struct<S: string>
  >
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<export-bucket>/exports/events/AWSDynamoDB/<exportId>/data/';

CREATE EXTERNAL TABLE IF NOT EXISTS hub_history (
  Item struct<
    pk: struct<S: string>,
    sk: struct<S: string>,
    itemKind: struct<S: string>,
    workspaceId: struct<S: string>,
    setKind: struct<S: string>,
    setId: struct<S: string>,
    memberKind: struct<S: string>,
    memberId: struct<S: string>,
    direction: struct<S: string>,
    version: struct<S: string>,
    changedAt: struct<S: string>,
    source: struct<M: struct<kind: struct<S: string>, importId: struct<S: string>, partner: struct<S: string>, syncTaskId: struct<S: string>, page: struct<N: string>, audience: struct<S: string>, mergedFrom: struct<S: string>, mergedInto: struct<S: string>, identifier: struct<M: struct<kind: struct<S: string>, value: struct<S: string>, label: struct<S: string>, name: struct<S: string>>>>>,
    cohortId: struct<S: string>,
    identifier: struct<M: struct<kind: struct<S: string>, value: struct<S: string>, label: struct<S: string>, name: struct<S: string>>>,
    importId: struct<S: string>,
    partner: struct<S: string>,
    op: struct<S: string>,
    decision: struct<S: string>,
    reason: struct<S: string>,
    brazeId: struct<S: string>,
    at: struct<S: string>,
    expiresAt: struct<N: string>
  >
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<export-bucket>/exports/history/AWSDynamoDB/<exportId>/data/';

-- Convenience views.
-- Every applied membership flip (docs/membership-history.md); order one member's flips by version.
CREATE OR REPLACE VIEW membership_changes AS
SELECT Item.workspaceId.S AS workspace_id, Item.setKind.S AS set_kind, Item.setId.S AS set_id,
       Item.memberKind.S AS member_kind, Item.memberId.S AS member_id, Item.direction.S AS direction,
       Item.version.S AS version, from_iso8601_timestamp(Item.changedAt.S) AS changed_at,
       Item.source.M.kind.S AS source_kind, Item.source.M.importId.S AS import_id, Item.source.M.partner.S AS partner,
       Item.source.M.syncTaskId.S AS sync_task_id, CAST(Item.source.M.page.N AS integer) AS page,
       Item.source.M.audience.S AS audience, Item.source.M.mergedFrom.S AS merged_from, Item.source.M.mergedInto.S AS merged_into,
       -- The identifier that named the member in a cohort import or Segment audience change (what the decision log leaves out).
       Item.source.M.identifier.M.kind.S AS identifier_kind,
       coalesce(Item.source.M.identifier.M.value.S, Item.source.M.identifier.M.label.S || '/' || Item.source.M.identifier.M.name.S) AS identifier
FROM hub_history
WHERE Item.itemKind.S = 'flip';

-- What each cohort import decided for each identifier it named (the decision log, kept 14 days by default).
CREATE OR REPLACE VIEW identifier_decisions AS
SELECT Item.workspaceId.S AS workspace_id, Item.cohortId.S AS cohort_id, Item.identifier.M.kind.S AS identifier_kind,
       coalesce(Item.identifier.M.value.S, Item.identifier.M.label.S || '/' || Item.identifier.M.name.S) AS identifier,
       Item.importId.S AS import_id, Item.partner.S AS partner, Item.op.S AS op, Item.decision.S AS decision,
       Item.reason.S AS reason, Item.brazeId.S AS braze_id, from_iso8601_timestamp(Item.at.S) AS decided_at
FROM hub_history
WHERE Item.itemKind.S = 'decision';

CREATE OR REPLACE VIEW cohort_members AS
SELECT Item.workspaceId.S AS workspace_id, Item.setId.S AS cohort_id, Item.memberId.S AS braze_id, from_iso8601_timestamp(Item.changedAt.S) AS changed_at
FROM hub_cohorts
WHERE Item.setKind.S = 'cohort' AND starts_with(Item.sk.S, 'M#') AND Item.status.S = 'member';

CREATE OR REPLACE VIEW segment_members AS
SELECT Item.workspaceId.S AS workspace_id, Item.setId.S AS segment_id, Item.memberId.S AS visitor_id, from_iso8601_timestamp(Item.changedAt.S) AS changed_at
FROM hub_cohorts
WHERE Item.setKind.S = 'segment' AND starts_with(Item.sk.S, 'M#') AND Item.status.S = 'member';

CREATE OR REPLACE VIEW users AS
SELECT Item.workspaceId.S AS workspace_id, Item.brazeId.S AS braze_id, Item.externalId.S AS external_id,
       Item.mergedInto.S AS merged_into, Item.deletedAt.S IS NOT NULL AS deleted
FROM hub_users;

CREATE OR REPLACE VIEW events AS
SELECT Item.workspaceId.S AS workspace_id, Item.brazeId.S AS braze_id, Item.eventType.S AS event_type,
       from_unixtime(CAST(Item.time.N AS bigint)) AS event_time, json_parse(Item.event.S) AS event
FROM hub_events
WHERE Item.eventId.S IS NOT NULL;

-- The Currents archive (docs/currents.md "Full history"): every accepted event, gzip JSON lines written by the
-- currents worker to s3://<archive-bucket>/currents/dt=<YYYY-MM-DD>/type=<event_type>/<message>.json.gz.
-- Replace <archive-bucket> (the stack's <prefix>-currents-archive-<account>-<region>). Partition projection:
-- no partitions to add. `dt` is the UTC day of the event's time; `type` is injected, so every query names
-- its type(s) with equality or IN (Athena's rule for injected partitions), e.g.
--   SELECT count(*) FROM currents_events WHERE type = 'users.behaviors.Purchase' AND dt BETWEEN '2026-01-01' AND '2026-01-31';
-- `event` is the event's exact JSON text: json_extract_scalar(event, '$.properties.product_id').
CREATE EXTERNAL TABLE IF NOT EXISTS currents_events (
  workspace_id string,
  id string,
  event_type string,
  `time` bigint,
  braze_id string,
  received_at bigint,
  event string
)
PARTITIONED BY (dt string, `type` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://<archive-bucket>/currents/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '1970-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'projection.type.type' = 'injected',
  'storage.location.template' = 's3://<archive-bucket>/currents/dt=${dt}/type=${type}/'
);

-- The archive is at-least-once (an event Braze re-sent in another batch is in two objects): one row per event id.
CREATE OR REPLACE VIEW currents_events_unique AS
SELECT workspace_id, id, event_type, "time", braze_id, received_at, event, dt, "type"
FROM (
  -- Partitioned by dt and type too (one id has one time and type): a filter on them still reaches the table.
  SELECT *, row_number() OVER (PARTITION BY workspace_id, dt, "type", id ORDER BY received_at) AS copy
  FROM currents_events
)
WHERE copy = 1;

-- Without the users Braze asked to delete (the archive keeps what was received; docs/currents.md "Deletion").
CREATE OR REPLACE VIEW currents_events_live AS
SELECT e.*
FROM currents_events_unique e
WHERE e.braze_id IS NULL OR NOT EXISTS (
  SELECT 1 FROM currents_events d
  WHERE d."type" = 'users.UserDeleteRequest' AND d.workspace_id = e.workspace_id AND d.braze_id = e.braze_id
);
