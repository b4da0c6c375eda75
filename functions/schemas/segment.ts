/**
 * Segment Engage audience events as Segment's "Webhooks (Actions)" destination POSTs them (its
 * default `data` mapping is the whole event, `$.`; batching sends a JSON array of events). Shapes:
 * Segment's "Using Engage data" (identify and track payloads of an audience) and the Segment spec
 * (docs/segment.md cites both). Fields are checked one at a time, so each failure names its path.
 */
import * as z from 'zod/mini';
import { MAX_ID_LENGTH, cohortIdSchema, cohortNameSchema } from './cohort-import';
import { identifierFits } from './key-bytes';

/** `context.personas.computation_class` of an Engage audience (and of a Journeys step). */
export const AUDIENCE_CLASS = 'audience';
/** The track events of an audience computation: entering is membership `true`, exiting `false`. */
export const AUDIENCE_EVENTS = { 'Audience Entered': true, 'Audience Exited': false } as const;

/** Webhooks (Actions): "the maximum batch size limit is 4000" (events per request). */
export const MAX_SEGMENT_EVENTS = 4000;
/** Longest accepted `messageId` (Segment's are UUIDs or `api-…` strings of a few dozen characters). */
export const MAX_MESSAGE_ID_LENGTH = 256;

const boundedString = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));

/** `context.personas.computation_id`: the audience's id (`aud_…`), the cohort id, as in braze-cohorts. */
export const computationIdSchema = cohortIdSchema;
/** `context.personas.computation_key`: the audience key, the cohort name, as in braze-cohorts. */
export const computationKeySchema = cohortNameSchema;
export const messageIdSchema = z.string().check(z.minLength(1), z.maxLength(MAX_MESSAGE_ID_LENGTH));
/** `userId` → external_id (braze-cohorts' default mapping `$.userId`). */
export const userIdSchema = boundedString.check(z.refine((value) => identifierFits({ kind: 'external_id', value })));
/** `context.device.id` → device_id (the mapping of braze-cohorts' own tests). */
export const deviceIdSchema = boundedString.check(z.refine((value) => identifierFits({ kind: 'device_id', value })));
/** `user_alias`, braze-cohorts' field name and Braze's alias object, when an event carries one. */
export const userAliasSchema = z
  .looseObject({ alias_name: boundedString, alias_label: boundedString })
  .check(z.refine((alias) => identifierFits({ kind: 'alias', label: alias.alias_label, name: alias.alias_name })));
/** An audience's membership value: a boolean; the string forms appear in Segment's Journeys examples. */
export const membershipValueSchema = z.union([z.boolean(), z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])]);

const personasSchema = z.looseObject({
  computation_class: z.optional(z.string()),
  computation_id: z.optional(computationIdSchema),
  computation_key: z.optional(computationKeySchema),
  space_id: z.optional(z.string()),
  namespace: z.optional(z.string()),
});

/** One Segment event as the API description shows it (the handler checks field by field). */
export const segmentEventSchema = z.looseObject({
  type: z.string(),
  event: z.optional(z.string()),
  messageId: z.optional(messageIdSchema),
  timestamp: z.optional(z.string()),
  userId: z.optional(z.nullable(userIdSchema)),
  anonymousId: z.optional(z.nullable(z.string())),
  user_alias: z.optional(userAliasSchema),
  traits: z.optional(z.record(z.string(), z.unknown())),
  properties: z.optional(z.record(z.string(), z.unknown())),
  context: z.optional(z.looseObject({ personas: z.optional(personasSchema), device: z.optional(z.looseObject({ id: z.optional(z.nullable(deviceIdSchema)) })) })),
});

/** The request body: one event, or a batch (a JSON array) of at most 4,000. */
export const segmentAudiencesBodySchema = z.union([segmentEventSchema, z.array(segmentEventSchema).check(z.maxLength(MAX_SEGMENT_EVENTS))]);
