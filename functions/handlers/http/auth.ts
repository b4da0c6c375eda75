/**
 * Bearer authentication middleware (shared/router.ts): the route's credential (`auth` in the route
 * table) must be the request's `Authorization: Bearer <token>`; the token picks the workspace. A
 * missing, wrong or rotated-out token (past its rotation grace) is refused the same way: 401
 * `{"message":"Unauthorized access"}`.
 */
import { systemClock, type Clock, type WorkspaceStore } from '../../domain/ports';
import { authenticate } from '../../domain/workspaces';
import type { WorkspaceRecord } from '../../schemas/workspace';
import { isHashedCredential } from '../../shared/definitions/credentials';
import { refusal } from '../../shared/http';
import type { Authenticator } from '../../shared/router';

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
};

export const UNAUTHORIZED = 'Unauthorized access';

export const bearerAuth =
  (store: () => WorkspaceStore, clock: Clock = systemClock): Authenticator<WorkspaceRecord> =>
  async (request, route) => {
    if (route.auth === 'public' || !isHashedCredential(route.auth)) throw new Error(`${route.auth} is not a bearer credential`);
    const workspace = await authenticate(store(), route.auth, bearerToken(request.headers.authorization), clock);
    return workspace ? { ok: true, auth: workspace } : { ok: false, response: refusal(401, UNAUTHORIZED) };
  };
