/**
 * Braze-shaped alias management (workspace `apiKey`): POST /users/alias/new and POST /users/identify.
 * 400 for a malformed body or more than 50 objects; otherwise 201 with Braze's
 * `{ message: "success", aliases_processed, errors? }` — per-object problems are non-fatal.
 */
import { createHash } from 'node:crypto';
import { directoryStoreFor, membershipStore, setReads, workspaceStore } from '../adapters/stores';
import type { DirectoryDeps } from '../domain/directory';
import { aliasNewSchema, createAliases, identifyAliases, identifySchema, parseAliasBody } from '../domain/identity';
import { changeVersion } from '../domain/membership';
import { requireBearer } from '../shared/auth';
import { httpHandler, json } from '../shared/http';

const deps = (): DirectoryDeps => ({
  directory: directoryStoreFor(),
  membership: {
    apply: (...args) => membershipStore().apply(...args),
    setsOfMember: (...args) => setReads().setsOfMember(...args),
  },
});

export const handler = httpHandler('identityApi', async (request) => {
  const workspace = await requireBearer(workspaceStore(), request, 'apiKey');
  const now = new Date(request.receivedAt).toISOString();
  if (request.path.endsWith('/users/identify')) {
    const body = parseAliasBody(request.rawBody, identifySchema, 'aliases_to_identify');
    const digest = createHash('sha256').update(request.rawBody).digest('hex').slice(0, 16);
    const result = await identifyAliases(deps(), workspace.workspaceId, body, (index) => changeVersion(request.receivedAt, `identify#${digest}#${index}`), now);
    return json(201, result);
  }
  const body = parseAliasBody(request.rawBody, aliasNewSchema, 'user_aliases');
  return json(201, await createAliases(deps(), workspace.workspaceId, body, now));
});
