/**
 * Braze-shaped alias management over the directory (protocols.md §3):
 * - `/users/alias/new`: with an external_id, adds the alias to that identified user (non-fatal
 *   error if no user has it); without, creates an alias-only user. A name is unique per label, a
 *   user holds one alias per label.
 * - `/users/identify`: gives an alias-only user an external_id. If no user has that external_id the
 *   alias-only user simply becomes identified; otherwise the alias-only user is merged into the
 *   identified one — unless that one already has an alias with the same label.
 * Per-item problems are non-fatal, reported Braze-style in `errors` with the item's index.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import { isJsonObject, parseJson } from '../shared/json';
import { ownValue } from '../shared/own';
import { isIdentified, type Profile } from '../schemas/directory';
import { mergeProfiles, resolveLive, type DirectoryDeps } from './directory';
import { identifierKey, type Identifier } from './identifiers';
import { changeVersion } from './membership';
import { invalid, ok, type Outcome } from './outcomes';

export { MAX_ALIASES_PER_REQUEST, aliasNewSchema, identifySchema, type AliasNewRequest, type IdentifyRequest } from '../schemas/identity';
import { MAX_ALIASES_PER_REQUEST, aliasNewSchema, identifySchema, type AliasNewRequest, type IdentifyRequest } from '../schemas/identity';

export interface ItemError {
  readonly type: string;
  readonly input_array: string;
  readonly index: number;
}

export interface AliasResult {
  readonly message: 'success';
  readonly aliases_processed: number;
  readonly errors?: ItemError[];
}

/** Parses a JSON body against a schema, with the 1…50 item limit; an `invalid` outcome with readable reasons otherwise. */
export const parseAliasBody = <T>(rawBody: string, schema: z.ZodMiniType<T>, arrayName: string): Outcome<T> => {
  const parsed = parseJson(rawBody);
  if (!parsed.ok) return invalid('Invalid JSON body');
  const items = isJsonObject(parsed.value) ? parsed.value[arrayName] : undefined;
  if (!Array.isArray(items) || items.length === 0) return invalid(`${arrayName} must be a non-empty array`);
  if (items.length > MAX_ALIASES_PER_REQUEST) return invalid(`${arrayName} can hold at most ${MAX_ALIASES_PER_REQUEST} objects`);
  const result = schema.safeParse(parsed.value);
  if (result.success) return ok(result.data);
  const reason = (issue: (typeof result.error.issues)[number]) => (issue.code === 'too_big' ? 'too long' : issue.code === 'custom' ? issue.message : 'required non-empty string');
  return invalid(`Invalid ${arrayName}`, result.error.issues.map((issue) => `${issue.path.join('.')}: ${reason(issue)}`));
};

/** Braze id of the alias-only user created for an alias: deterministic, so retries converge on one user. */
export const aliasOnlyBrazeId = (workspaceId: string, label: string, aliasName: string): string =>
  createHash('sha256').update(`${workspaceId}\n${label}\n${aliasName}`).digest('hex').slice(0, 24);

const result = (processed: number, errors: ItemError[]): AliasResult =>
  errors.length > 0 ? { message: 'success', aliases_processed: processed, errors } : { message: 'success', aliases_processed: processed };

/** POST /users/alias/new */
export const createAliases = async (deps: DirectoryDeps, workspaceId: string, request: AliasNewRequest, now: string): Promise<AliasResult> => {
  const { directory } = deps;
  const errors: ItemError[] = [];
  let processed = 0;
  const fail = (type: string, index: number) => errors.push({ type, input_array: 'user_aliases', index });

  for (const [index, item] of request.user_aliases.entries()) {
    const alias: Identifier = { kind: 'alias', label: item.alias_label, name: item.alias_name };
    if (item.external_id !== undefined) {
      const extKey = identifierKey({ kind: 'external_id', value: item.external_id });
      const holder = (await directory.resolveClaims(workspaceId, [extKey])).get(extKey);
      const profile = holder ? await resolveLive(deps, workspaceId, holder.profileId) : undefined;
      if (!profile) {
        fail("'external_id' does not match an existing user", index);
        continue;
      }
      const outcome = await directory.claim(workspaceId, profile.brazeId, alias, now);
      if (outcome === 'claimed') processed += 1;
      else if (outcome === 'label-taken') fail("user already has an alias with this 'alias_label'", index);
      else if (outcome === 'held-by-other') fail("'alias_name' already exists for this 'alias_label' on another user", index);
      else fail("'external_id' does not match an existing user", index);
      continue;
    }
    const aliasKey = identifierKey(alias);
    const existing = (await directory.resolveClaims(workspaceId, [aliasKey])).get(aliasKey);
    if (existing) {
      // A retry of the same creation is a success; anything else is a taken name.
      if (existing.profileId === aliasOnlyBrazeId(workspaceId, alias.label, alias.name)) processed += 1;
      else fail("'alias_name' already exists for this 'alias_label'", index);
      continue;
    }
    let brazeId = aliasOnlyBrazeId(workspaceId, alias.label, alias.name);
    await directory.createProfile(workspaceId, brazeId, now);
    let outcome = await directory.claim(workspaceId, brazeId, alias, now);
    if (outcome === 'no-profile' || outcome === 'label-taken') {
      // The deterministic profile was merged or deleted earlier (or holds another name): start a fresh one.
      brazeId = createHash('sha256').update(`${brazeId}\n${now}\n${index}`).digest('hex').slice(0, 24);
      await directory.createProfile(workspaceId, brazeId, now);
      outcome = await directory.claim(workspaceId, brazeId, alias, now);
    }
    if (outcome === 'claimed') processed += 1;
    else fail("'alias_name' already exists for this 'alias_label'", index);
  }
  return result(processed, errors);
};

type IdentifyItem = IdentifyRequest['aliases_to_identify'][number];

/** Why an item could not be identified (Braze's per-item error `type`), or undefined when it was. */
type ItemFailure = string | undefined;

/**
 * The external_id belongs to another user: merge the alias-only user into it (Braze's rule), unless
 * that user already has an alias with this label.
 */
const mergeIntoHolder = async (
  deps: DirectoryDeps,
  workspaceId: string,
  item: IdentifyItem,
  aliased: Profile,
  knownHolder: string | undefined,
  version: () => string,
  now: string,
): Promise<ItemFailure> => {
  const extKey = identifierKey({ kind: 'external_id', value: item.external_id });
  const holderId = knownHolder ?? (await deps.directory.resolveClaims(workspaceId, [extKey])).get(extKey)?.profileId;
  const identified = holderId ? await resolveLive(deps, workspaceId, holderId) : undefined;
  if (!identified) return "'user_alias' could not be identified";
  if ((ownValue(identified.aliases, item.user_alias.alias_label) ?? item.user_alias.alias_name) !== item.user_alias.alias_name) {
    return "the user with this 'external_id' already has an alias with this 'alias_label'";
  }
  const merged = await mergeProfiles(deps, workspaceId, aliased.brazeId, identified.brazeId, version(), now);
  return merged ? undefined : "'user_alias' could not be identified";
};

/** Identifies one alias-only user: gives it the external_id, or merges it into the user that has it. */
const identifyItem = async (deps: DirectoryDeps, workspaceId: string, item: IdentifyItem, version: () => string, now: string): Promise<ItemFailure> => {
  const { directory } = deps;
  const aliasKey = identifierKey({ kind: 'alias', label: item.user_alias.alias_label, name: item.user_alias.alias_name });
  const extKey = identifierKey({ kind: 'external_id', value: item.external_id });
  const claims = await directory.resolveClaims(workspaceId, [aliasKey, extKey]);
  const aliasHolder = claims.get(aliasKey);
  const aliased = aliasHolder ? await resolveLive(deps, workspaceId, aliasHolder.profileId) : undefined;
  if (!aliased) return "'user_alias' does not match an existing user";
  if (aliased.externalId === item.external_id) return undefined;
  if (isIdentified(aliased)) return "'user_alias' belongs to a user with a different 'external_id'";
  const extHolder = claims.get(extKey);
  if (!extHolder) {
    const outcome = await directory.claim(workspaceId, aliased.brazeId, { kind: 'external_id', value: item.external_id }, now);
    if (outcome === 'claimed') {
      await directory.markClaimsIdentified(workspaceId, aliased.brazeId);
      return undefined;
    }
    if (outcome !== 'held-by-other') return "'user_alias' could not be identified";
  }
  return mergeIntoHolder(deps, workspaceId, item, aliased, extHolder?.profileId, version, now);
};

/** POST /users/identify. `membershipVersion(index)` orders the cohort moves of a resulting merge. */
export const identifyAliases = async (
  deps: DirectoryDeps,
  workspaceId: string,
  request: IdentifyRequest,
  membershipVersion: (index: number) => string,
  now: string,
): Promise<AliasResult> => {
  const errors: ItemError[] = [];
  let processed = 0;
  for (const [index, item] of request.aliases_to_identify.entries()) {
    const failure = await identifyItem(deps, workspaceId, item, () => membershipVersion(index), now);
    if (failure === undefined) processed += 1;
    else errors.push({ type: failure, input_array: 'aliases_to_identify', index });
  }
  return result(processed, errors);
};

/** A request to `/users/alias/new` received at `receivedAt` (epoch ms): its body checked, then its aliases created. */
export const receiveAliasNew = async (deps: DirectoryDeps, workspaceId: string, rawBody: string, receivedAt: number): Promise<Outcome<AliasResult>> => {
  const body = parseAliasBody(rawBody, aliasNewSchema, 'user_aliases');
  return body.ok ? ok(await createAliases(deps, workspaceId, body.value, new Date(receivedAt).toISOString())) : body;
};

/**
 * A request to `/users/identify`: its body checked, then its aliases identified. A merge's
 * membership moves are versioned by the receive time and the body's digest, so a retried request
 * repeats the same versions.
 */
export const receiveIdentify = async (deps: DirectoryDeps, workspaceId: string, rawBody: string, receivedAt: number): Promise<Outcome<AliasResult>> => {
  const body = parseAliasBody(rawBody, identifySchema, 'aliases_to_identify');
  if (!body.ok) return body;
  const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 16);
  const version = (index: number) => changeVersion(receivedAt, `identify#${digest}#${index}`);
  return ok(await identifyAliases(deps, workspaceId, body.value, version, new Date(receivedAt).toISOString()));
};
