/**
 * Every credential a workspace has, declared once: how it is generated, how it is stored, what
 * rotating it does, how a request presents it (which decides how its routes refuse), and how the
 * OpenAPI description names it. Routes name the credential they accept (`auth` in routes.ts).
 * Read by workspace creation and rotation, the credential-checking middleware, the OpenAPI
 * generator, the local stack's credentials file and the reliability suite's auth matrix, so adding
 * a credential kind is one entry here. Plain data, no imports: CDK code may read it.
 */

/** How a request carries a credential. */
export const PRESENTATIONS = {
  /** `Authorization: Bearer <credential>`; the credential picks the workspace. A refusal is 401 `{"message":"Unauthorized access"}`. */
  bearer: { refusalStatus: 401 },
  /** Braze partner convention: `client_secret` and `partner_api_key` in the JSON body; 401 in Braze's words. */
  cohortBody: { refusalStatus: 401 },
  /** `Heap-Hash: ts:<ts>,hmac:<HMAC-SHA256(secret, ts + raw body)>`, workspace in the path; 403, or 400 when the header is missing (Heap's reference receiver). */
  heapHash: { refusalStatus: 403, missingStatus: 400 },
} as const satisfies Record<string, { readonly refusalStatus: number; readonly missingStatus?: number }>;

export type Presentation = keyof typeof PRESENTATIONS;

/** An OpenAPI 3.1 security scheme object. */
export type SecuritySchemeObject =
  | { readonly type: 'http'; readonly scheme: 'bearer'; readonly description: string }
  | { readonly type: 'apiKey'; readonly in: 'header'; readonly name: string; readonly description: string };

export interface CredentialDefinition {
  readonly description: string;
  /**
   * Generation: `<prefix>_<256 random bits, base64url>`. The prefix makes a leaked value recognisable
   * to a secret scanner and says what it is, never whose.
   */
  readonly prefix: string;
  /** The admin may store the value the partner issued instead of a generated one. */
  readonly suppliable?: boolean;
  /**
   * `hashed`: only its SHA-256 is kept, indexed for lookup, compared in constant time.
   * `encrypted`: kept encrypted (KMS in AWS) because it must be recovered to verify signatures.
   */
  readonly storage: 'hashed' | 'encrypted';
  /**
   * `replace`: rotation stores a new value; the old one keeps working for the grace period the
   * caller chooses (0: it stops in the same write). `replace-and-repin-partner-keys` also moves the
   * partners whose pinned or configured key was the old value, in the same transaction.
   * `issued-by-partner`: the partner generates the value, so the hub cannot rotate it; `setWith`
   * names the admin command that stores the partner's new value.
   */
  readonly rotation: 'replace' | 'replace-and-repin-partner-keys' | 'issued-by-partner';
  /** For `issued-by-partner`: who issues it and how the admin stores a new value. */
  readonly issuedBy?: { readonly partner: string; readonly setWith: string };
  readonly presentation: Presentation;
  /** For `cohortBody`: the body field that carries it. */
  readonly bodyField?: string;
  /** Presented together with another credential, which is the one routes name. */
  readonly companionOf?: string;
  /** The OpenAPI security scheme that describes it (name and object), or the text an operation carries instead (none for a companion). */
  readonly openApi?: { readonly scheme: string; readonly securityScheme: SecuritySchemeObject } | { readonly operationDescription: string };
}

export const CREDENTIALS = {
  partnerApiKey: {
    description: 'The partner key a Braze cohort partner sends (`partner_api_key`); the generated one is the configured key of the workspace\'s own partner name',
    prefix: 'hub_pk',
    storage: 'hashed',
    rotation: 'replace-and-repin-partner-keys',
    presentation: 'cohortBody',
    bodyField: 'partner_api_key',
    companionOf: 'dataImportKey',
  },
  dataImportKey: {
    description: 'Braze data import key (`client_secret`): picks the workspace of a cohort import',
    prefix: 'hub_dik',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'cohortBody',
    bodyField: 'client_secret',
    openApi: { operationDescription: 'Braze convention: partner_api_key and client_secret (the data import key) in the JSON body.' },
  },
  currentsToken: {
    description: "Bearer token of Braze's Custom HTTP Currents connector",
    prefix: 'hub_cur',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'bearer',
    openApi: { scheme: 'currentsToken', securityScheme: { type: 'http', scheme: 'bearer', description: "The workspace's currentsToken (set in Braze's Custom HTTP connector)" } },
  },
  heapWebhookSecret: {
    description: 'Heap webhook signing secret (Heap issues the real one; `workspace set --heap-webhook-secret`)',
    prefix: 'hub_heap',
    suppliable: true,
    storage: 'encrypted',
    rotation: 'issued-by-partner',
    issuedBy: { partner: 'Heap', setWith: 'workspace set --name <workspace> --heap-webhook-secret <secret>' },
    presentation: 'heapHash',
    openApi: { scheme: 'heapSignature', securityScheme: { type: 'apiKey', in: 'header', name: 'Heap-Hash', description: 'ts:<timestamp>,hmac:<HMAC-SHA256(secret, ts + raw body)>, base64 or hex' } },
  },
  abTastyToken: {
    description: 'Bearer token of the AB Tasty pull API',
    prefix: 'hub_abt',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'bearer',
    openApi: { scheme: 'abTastyToken', securityScheme: { type: 'http', scheme: 'bearer', description: "The workspace's abTastyToken" } },
  },
  segmentToken: {
    description: "Bearer token of Segment's Webhooks (Actions) destination sending Engage audiences (`Authorization: Bearer <segmentToken>` header of its mapping)",
    prefix: 'hub_seg',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'bearer',
    openApi: { scheme: 'segmentToken', securityScheme: { type: 'http', scheme: 'bearer', description: "The workspace's segmentToken (a header of Segment's Webhooks (Actions) mapping)" } },
  },
  apiKey: {
    description: "Bearer token of the hub's own read and identity APIs",
    prefix: 'hub_api',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'bearer',
    openApi: { scheme: 'apiKey', securityScheme: { type: 'http', scheme: 'bearer', description: "The workspace's apiKey" } },
  },
  consoleAdminKey: {
    description: "Bearer token of the web console's changing actions (credential rotation), served by the consoleAdmin function alone",
    prefix: 'hub_adm',
    storage: 'hashed',
    rotation: 'replace',
    presentation: 'bearer',
    openApi: { scheme: 'consoleAdminKey', securityScheme: { type: 'http', scheme: 'bearer', description: "The workspace's consoleAdminKey (web console admin actions)" } },
  },
} as const satisfies Record<string, CredentialDefinition>;

export type CredentialKind = keyof typeof CREDENTIALS;

/** Credentials that are only ever compared, so only their hashes are stored. */
export type HashedCredentialKind = { [K in CredentialKind]: (typeof CREDENTIALS)[K]['storage'] extends 'hashed' ? K : never }[CredentialKind];

/** Credentials an admin may set to a partner-issued value. */
export type SuppliableCredentialKind = { [K in CredentialKind]: (typeof CREDENTIALS)[K] extends { suppliable: true } ? K : never }[CredentialKind];

/** Every kind, in declaration order (the order credentials are printed in). */
export const CREDENTIAL_KINDS = Object.keys(CREDENTIALS) as [CredentialKind, ...CredentialKind[]];

export const credentialDefinition = (kind: CredentialKind): CredentialDefinition => CREDENTIALS[kind];

export const isHashedCredential = (kind: CredentialKind): kind is HashedCredentialKind => CREDENTIALS[kind].storage === 'hashed';

export const HASHED_CREDENTIAL_KINDS = CREDENTIAL_KINDS.filter(isHashedCredential) as [HashedCredentialKind, ...HashedCredentialKind[]];

/** Credentials the hub must recover in plaintext (to verify a signature), so they are stored encrypted. */
export type EncryptedCredentialKind = Exclude<CredentialKind, HashedCredentialKind>;

export const isEncryptedCredential = (kind: CredentialKind): kind is EncryptedCredentialKind => CREDENTIALS[kind].storage === 'encrypted';

export const ENCRYPTED_CREDENTIAL_KINDS = CREDENTIAL_KINDS.filter(isEncryptedCredential) as [EncryptedCredentialKind, ...EncryptedCredentialKind[]];

/** The plaintext credentials of a workspace, as printed to its owner once (and kept in `.hub/credentials.json` locally). */
export type CredentialValues = Record<CredentialKind, string>;
