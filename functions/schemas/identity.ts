/** Request bodies of Braze's alias management endpoints (POST /users/alias/new, POST /users/identify). */
import * as z from 'zod/mini';
import { MAX_ID_LENGTH } from './currents';

/** Braze's per-request limit on both endpoints. */
export const MAX_ALIASES_PER_REQUEST = 50;

const name = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));

export const aliasNewSchema = z.looseObject({
  user_aliases: z.array(z.looseObject({ external_id: z.optional(name), alias_name: name, alias_label: name })),
});
export const identifySchema = z.looseObject({
  aliases_to_identify: z.array(z.looseObject({ external_id: name, user_alias: z.looseObject({ alias_name: name, alias_label: name }) })),
});

export type AliasNewRequest = z.infer<typeof aliasNewSchema>;
export type IdentifyRequest = z.infer<typeof identifySchema>;
