/**
 * The web console's changing actions (Bearer workspace `consoleAdminKey`):
 * POST /v1/admin/credentials/{kind}/rotate → domain/console-admin.ts `rotateFromConsole`. The only
 * function whose role may write credential items (lib/constructs/hub-function.ts).
 */
import { workspaceStore } from '../adapters/stores';
import { rotateFromConsole } from '../domain/console-admin';
import { systemClock } from '../domain/ports';
import type { WorkspaceRecord } from '../schemas/workspace';
import { json } from '../shared/http';
import { httpRouter } from '../shared/router';
import { bearerAuth } from './http/auth';
import { answer } from './http/responses';

export const handler = httpRouter<'consoleAdmin', WorkspaceRecord>('consoleAdmin', {
  authenticate: { bearer: bearerAuth(workspaceStore) },
  routes: {
    'POST /v1/admin/credentials/{kind}/rotate': async (request, workspace) =>
      answer(await rotateFromConsole({ store: workspaceStore(), clock: systemClock }, workspace, request.pathParameters.kind ?? '', request.rawBody), (value) =>
        json(200, value, { 'Cache-Control': 'no-store' }),
      ),
  },
}, { clock: systemClock, maxBodyBytes: 4096 });
