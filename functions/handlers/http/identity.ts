/**
 * Braze-shaped alias management's routes (workspace `apiKey`): POST /users/alias/new and POST
 * /users/identify. 400 for a malformed body or more than 50 objects; otherwise 201 with Braze's
 * `{ message: "success", aliases_processed, errors? }` — per-object problems are non-fatal.
 */
import type { DirectoryDeps } from '../../domain/directory';
import { receiveAliasNew, receiveIdentify } from '../../domain/identity';
import type { WorkspaceStore } from '../../domain/ports';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json } from '../../shared/http';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { answer } from './responses';

export const identityRoutes = (deps: () => DirectoryDeps, workspaces: () => WorkspaceStore): RouteHandlers<WorkspaceRecord, RouteKeyOf<'identityApi'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'POST /users/alias/new': async (request, workspace) =>
      answer(await receiveAliasNew(deps(), workspace.workspaceId, request.rawBody, request.receivedAt), (result) => json(201, result)),
    'POST /users/identify': async (request, workspace) =>
      answer(await receiveIdentify(deps(), workspace.workspaceId, request.rawBody, request.receivedAt), (result) => json(201, result)),
  },
});
