/**
 * Bearer-token authentication for the hub's own APIs (read API, AB Tasty pull, Currents). The
 * token picks the workspace; a missing, wrong or rotated-out token is refused the same way.
 */
import { authenticate, bearerToken } from '../domain/workspaces';
import type { WorkspaceStore } from '../domain/ports';
import type { HashedCredentialKind, WorkspaceRecord } from '../schemas/workspace';
import { UnauthorizedError } from './errors';
import type { HttpRequest } from './http';

/** The workspace whose `kind` credential is the request's bearer token, or a 401. */
export const requireBearer = async (
  store: WorkspaceStore,
  request: HttpRequest,
  kind: HashedCredentialKind,
  message = 'Unauthorized access',
): Promise<WorkspaceRecord> => {
  const workspace = await authenticate(store, kind, bearerToken(request.headers.authorization));
  if (!workspace) throw new UnauthorizedError(message);
  return workspace;
};

/** Cursor signing scope for a workspace and route (see shared/cursor.ts). */
export const cursorScope = (workspace: WorkspaceRecord, route: string) => ({
  secret: `${workspace.workspaceId}:${workspace.credentialHashes.apiKey ?? ''}`,
  route,
});
