/** Bodies of the web console's admin routes (routes.ts: `POST /v1/admin/credentials/{kind}/rotate`). */
import * as z from 'zod/mini';

/** Longest grace period a rotation may ask for: one week. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** `{}` or `{"graceSeconds": n}`: how long the old value keeps working (wired by the rotation work). */
export const rotateCredentialBodySchema = z.strictObject({
  graceSeconds: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(MAX_GRACE_SECONDS))),
});

export type RotateCredentialBody = z.infer<typeof rotateCredentialBodySchema>;
