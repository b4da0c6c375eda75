/**
 * The Braze import bucket's shared names (docs/braze-export.md), read by the CDK stack (lifecycle
 * rule, notification prefixes) and by the worker (the tag it puts on an applied object).
 */

/** Tag of an object the worker applied: the bucket's lifecycle deletes such objects after their retention. */
export const IMPORT_APPLIED_TAG = { key: 'hub-import', value: 'applied' } as const;

/** Every Currents archive key starts here (domain/event-archive.ts); the currents worker may put objects under it only. */
export const ARCHIVE_PREFIX = 'currents/';

/** Where Braze writes a segment's exports (its "Export user profile by segment" key layout). */
export const SEGMENT_EXPORT_PREFIX = 'segment-export/';
