/** Request bodies of Braze's alias management endpoints (POST /users/alias/new, POST /users/identify). */
import * as z from 'zod/mini';
import { MAX_ID_LENGTH } from './currents';
import { identifierBytesMessage, identifierFits } from './key-bytes';

/** Braze's per-request limit on both endpoints. */
export const MAX_ALIASES_PER_REQUEST = 50;

const name = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
/** Values that become claim keys are also held to the key's byte budget (key-bytes.ts). */
const externalId = name.check(z.refine((value) => identifierFits({ kind: 'external_id', value }), identifierBytesMessage('external_id', 'external_id')));
const aliasFits = z.refine<{ alias_name: string; alias_label: string }>(
  (value) => identifierFits({ kind: 'alias', label: value.alias_label, name: value.alias_name }),
  identifierBytesMessage('alias_label and alias_name', 'alias'),
);

export const aliasNewSchema = z.looseObject({
  user_aliases: z.array(z.looseObject({ external_id: z.optional(externalId), alias_name: name, alias_label: name }).check(aliasFits)),
});
export const identifySchema = z.looseObject({
  aliases_to_identify: z.array(z.looseObject({ external_id: externalId, user_alias: z.looseObject({ alias_name: name, alias_label: name }).check(aliasFits) })),
});

export type AliasNewRequest = z.infer<typeof aliasNewSchema>;
export type IdentifyRequest = z.infer<typeof identifySchema>;
