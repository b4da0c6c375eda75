/** Workspace records and the credentials printed to their owner. */
import * as z from 'zod/mini';
import { isJsonObject } from '../shared/json';
import { UNSTORABLE_MAP_KEYS } from '../shared/own';
import { CREDENTIAL_KINDS, ENCRYPTED_CREDENTIAL_KINDS, HASHED_CREDENTIAL_KINDS, type CredentialValues, type EncryptedCredentialKind } from '../shared/definitions/credentials';

export { CREDENTIAL_KINDS, type CredentialKind, type EncryptedCredentialKind, type HashedCredentialKind } from '../shared/definitions/credentials';

export const credentialKindSchema = z.enum(CREDENTIAL_KINDS);

/** Credentials that are only ever compared, so only their hashes are stored (see definitions/credentials.ts). */
export const HASHED_CREDENTIALS = HASHED_CREDENTIAL_KINDS;

export const workspaceNameSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/));
export const partnerNameSchema = z.string().check(z.regex(/^[a-z0-9_-]{1,64}$/));

/**
 * Valid partner names that cannot be keys of the stored partner-key map: the AWS SDK refuses to
 * marshall a map with an own `constructor` key and drops `__proto__` both ways. They may import
 * under policy `any` only; `pin` and `configured` refuse them (401) and the admin CLI will not set them.
 */
export const UNPINNABLE_PARTNER_NAMES = UNSTORABLE_MAP_KEYS;

/** True when a partner name can have a pinned or configured key. */
export const canHoldPartnerKey = (partner: string): boolean => partnerNameSchema.safeParse(partner).success && !UNPINNABLE_PARTNER_NAMES.includes(partner);

export const PARTNER_KEY_POLICIES = ['any', 'pin', 'configured'] as const;
export type PartnerKeyPolicy = (typeof PARTNER_KEY_POLICIES)[number];

/**
 * A workspace's AB Tasty Universal Data Connector destination (issue 13, docs/abtasty-delivery.md).
 * The client secret is kept encrypted like the Heap webhook secret (KMS in AWS); it is an outbound
 * secret, so it authenticates no route of the hub.
 */
export const abTastyDestinationSchema = z.object({
  /** AB Tasty's `account_identifier`. */
  account: z.string(),
  /** The `partner_name` AB Tasty provisions when it enables the UDC. */
  partner: z.string(),
  /** Public API client id (client-credentials grant). */
  clientId: z.string(),
  /** The Public API client secret, encrypted with the workspace's secret context. */
  clientSecretCiphertext: z.string(),
  /** `all`: every non-empty Heap segment; or the listed Heap segment ids. */
  segments: z.union([z.literal('all'), z.array(z.string())]),
  /** A fixed UDC `value` for every row, or none. */
  value: z.optional(z.string()),
  /** False after `--abtasty-disable`: nothing is pushed, the settings are kept. */
  enabled: z.boolean(),
});

export type AbTastyDestinationRecord = z.infer<typeof abTastyDestinationSchema>;

/**
 * Where the hub asks Braze for the workspace's user export (issue 14, docs/braze-export.md): the
 * REST endpoint, a REST API key with `users.export.segment` (an outbound secret, encrypted like the
 * AB Tasty client secret), the segment to export, and how often.
 */
export const brazeExportSettingsSchema = z.object({
  /** Braze REST endpoint, e.g. `https://rest.iad-01.braze.com`. */
  restUrl: z.string(),
  /** The REST API key, encrypted with the workspace's secret context (purpose `brazeApiKey`). */
  apiKeyCiphertext: z.string(),
  segmentId: z.string(),
  /** Period of the scheduled export request, ms. */
  everyMs: z.number(),
  enabled: z.boolean(),
});

export type BrazeExportSettings = z.infer<typeof brazeExportSettingsSchema>;

/**
 * A workspace's signed change webhook (docs/events.md): where the `changeWebhookWorker` POSTs its
 * membership changes, and the HMAC secret, encrypted with the workspace's context (purpose
 * `changeWebhookSecret`): an outbound secret, it authenticates no route of the hub.
 */
export const changeWebhookSchema = z.object({
  url: z.string(),
  secretCiphertext: z.string(),
  /** False after `--change-webhook-disable`: nothing is queued or sent, the settings are kept. */
  enabled: z.boolean(),
});

export type ChangeWebhookRecord = z.infer<typeof changeWebhookSchema>;

/** A workspace's signing key for cursors and import ids: random, encrypted (purpose `signingKey`), and when it was issued (epoch ms). */
export const signingKeySchema = z.object({ ciphertext: z.string(), issuedAt: z.number() });

export type SigningKeyRecord = z.infer<typeof signingKeySchema>;

/** The previous value of a credential rotated with a grace period. */
export const credentialGraceSchema = z.object({ hash: z.string(), expiresAt: z.number() });

export type CredentialGrace = z.infer<typeof credentialGraceSchema>;

const workspaceRecordObject = z.object({
  workspaceId: z.string(),
  name: z.string(),
  partnerName: z.string(),
  createdAt: z.string(),
  /** SHA-256 of each compared-only credential; a kind added to the registry later is absent from older workspaces until issued. */
  credentialHashes: z.partialRecord(z.enum(HASHED_CREDENTIALS), z.string()),
  /**
   * Each encrypted credential (KMS in AWS, AES-GCM with a local key in the local stack), by kind; a
   * kind added to the registry later is absent from older workspaces until issued.
   */
  credentialCiphertexts: z.partialRecord(z.enum(ENCRYPTED_CREDENTIAL_KINDS), z.string()),
  /**
   * Credentials rotated with a grace period, by kind: the previous value's hash and when it stops
   * working (epoch ms), checked on every read (`authenticate`). Absent on records that never had one.
   */
  credentialGrace: z.optional(z.partialRecord(z.enum(HASHED_CREDENTIALS), credentialGraceSchema)),
  /** Signs pagination cursors and import ids (domain/signing-keys.ts); absent on workspaces created before it until issued. */
  signingKey: z.optional(signingKeySchema),
  partnerKeyPolicy: z.enum(PARTNER_KEY_POLICIES),
  /** Per partner: hash of the pinned or configured `partner_api_key`. */
  partnerKeyHashes: z._default(z.record(z.string(), z.string()), {}),
  /** When set, only these partners may import into the workspace. */
  allowedPartners: z.optional(z.array(z.string())),
  /** Heap `id_token`s seen on signed webhooks, and the pinned one if any. */
  heapIdTokensSeen: z._default(z.array(z.string()), []),
  heapIdTokenPinned: z.optional(z.string()),
  /** Where Heap segments are pushed in AB Tasty, if configured. */
  abTasty: z.optional(abTastyDestinationSchema),
  /** Where and how often Braze's user export is requested, if configured. */
  brazeExport: z.optional(brazeExportSettingsSchema),
  /** The per-identifier decision log of cohort imports (domain/decision-log.ts); absent: on, 14 days. */
  decisionLog: z.optional(z.object({ enabled: z.boolean(), days: z.number() })),
  /** Where membership changes are POSTed, signed, if configured. */
  changeWebhook: z.optional(changeWebhookSchema),
});

/** Fields in which records written before `credentialCiphertexts` kept an encrypted credential. */
const LEGACY_CIPHERTEXT_FIELDS: Readonly<Record<string, EncryptedCredentialKind>> = { heapWebhookSecretCiphertext: 'heapWebhookSecret' };

/** A stored item with its legacy ciphertext fields read as entries of `credentialCiphertexts` (an entry already there wins). */
const withCiphertextMap = (item: unknown): unknown => {
  if (!isJsonObject(item)) return item;
  const legacy = Object.entries(LEGACY_CIPHERTEXT_FIELDS).filter(([field]) => typeof item[field] === 'string');
  if (legacy.length === 0) return item;
  const current = isJsonObject(item.credentialCiphertexts) ? item.credentialCiphertexts : {};
  return { ...item, credentialCiphertexts: { ...Object.fromEntries(legacy.map(([field, kind]) => [kind, item[field]])), ...current } };
};

/** A workspace record as stored, read backward-compatibly (see `withCiphertextMap`). */
export const workspaceRecordSchema = z.pipe(z.transform(withCiphertextMap), workspaceRecordObject);

export type WorkspaceRecord = z.output<typeof workspaceRecordObject>;

/** What `workspace create` prints: the only time plaintext credentials leave the hub. */
export type WorkspaceCredentials = { workspaceId: string; partnerName: string } & CredentialValues;
