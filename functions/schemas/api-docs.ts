/**
 * Request-body schemas for the API description. They are built from the same zod schemas the
 * handlers validate with; the handlers validate field by field (to answer with each partner's exact
 * wording), and these describe the whole body at once.
 */
import { rotateCredentialBodySchema } from './console';
import * as z from 'zod/mini';
import { cohortChangesSchema, cohortIdSchema, cohortNameSchema } from './cohort-import';
import { currentsEventSchema } from './currents';
import { heapEnvelopeSchema, heapSyncDataSchema } from './heap';
import { aliasNewSchema, identifySchema } from './identity';
import { segmentAudiencesBodySchema } from './segment';
import type { BodySchemaName } from '../shared/definitions/routes';

export { aliasNewSchema, identifySchema };

const brazeCredentials = {
  partner_api_key: z.string().check(z.minLength(1)),
  client_secret: z.string().check(z.minLength(1)),
};

export const cohortUpsertBodySchema = z.looseObject({
  ...brazeCredentials,
  cohort_id: cohortIdSchema,
  name: cohortNameSchema,
  created_at: z.string(),
});

export const cohortUsersBodySchema = z.looseObject({
  ...brazeCredentials,
  cohort_id: cohortIdSchema,
  cohort_changes: cohortChangesSchema,
});

export const heapWebhookBodySchema = z.looseObject({
  ...heapEnvelopeSchema.def.shape,
  data: z.optional(heapSyncDataSchema),
});

/** Braze Currents batch: every event keeps unknown fields; `properties` is stored as it came. */
export const currentsBodySchema = z.looseObject({ events: z.array(currentsEventSchema) });

/** `{ message, errors? }`: every refusal, in every route's convention. */
export const errorBodySchema = z.object({ message: z.string(), errors: z.optional(z.array(z.string())) });

/** Every request body a route names (`body` in definitions/routes.ts), by name. */
export const BODY_SCHEMAS = {
  cohortUpsert: cohortUpsertBodySchema,
  cohortUsers: cohortUsersBodySchema,
  heapWebhook: heapWebhookBodySchema,
  currents: currentsBodySchema,
  aliasNew: aliasNewSchema,
  identify: identifySchema,
  segmentAudiences: segmentAudiencesBodySchema,
  rotateCredential: rotateCredentialBodySchema,
} as const satisfies Record<BodySchemaName, z.ZodMiniType>;
