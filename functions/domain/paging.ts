/**
 * One page of a read behind a signed cursor, written once for every paged route: the cursor is
 * opened for this workspace and route (a forged or another route's cursor is refused, nothing
 * read), the page is read from where it points, and the next cursor is signed the same way.
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { INVALID_CURSOR, invalid, ok, type Outcome } from './outcomes';
import type { CursorCodec } from './ports';

type StartKey = Record<string, unknown> | undefined;

export const pagedRead = async <P extends { readonly nextKey?: StartKey }, V extends object>(
  cursors: CursorCodec,
  workspace: WorkspaceRecord,
  at: { readonly route: string; readonly cursor?: string | undefined },
  read: (startKey: StartKey) => Promise<P>,
  view: (page: P) => V | Promise<V>,
): Promise<Outcome<V & { next_cursor: string | null }>> => {
  const cursor = await cursors.decode(workspace, at.route, at.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const page = await read(cursor.key);
  return ok({ ...(await view(page)), next_cursor: (await cursors.encode(workspace, at.route, page.nextKey)) ?? null });
};
