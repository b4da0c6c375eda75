/**
 * AB Tasty public API token answer (client-credentials grant). Documented example:
 * `{"access_token": "…", "expires_in": 43200, "token_type": "bearer", "scope": "…"}`
 * (docs/abtasty-delivery.md). Loose: AB Tasty may add fields.
 */
import * as z from 'zod/mini';

export const abTastyTokenAnswerSchema = z.looseObject({
  access_token: z.string().check(z.minLength(1), z.maxLength(4096)),
  expires_in: z.optional(z.number().check(z.positive())),
  token_type: z.optional(z.string()),
});

export type AbTastyTokenAnswer = z.infer<typeof abTastyTokenAnswerSchema>;
