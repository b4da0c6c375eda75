/**
 * The trace API (docs/membership-history.md): member histories and identifier traces. Read-only;
 * routes in http/trace.ts, logic in domain/membership-trace.ts.
 */
import { decisionLog, directoryStoreFor, historyStore, profileReader, setReads, workspaceStore } from '../adapters/stores';
import type { TraceDeps } from '../domain/membership-trace';
import { systemClock } from '../domain/ports';
import { httpRouter } from '../shared/router';
import { cursorCodec } from './http/signing';
import { traceApiRoutes } from './http/trace';

let deps: TraceDeps | undefined;
const traceDeps = (): TraceDeps =>
  (deps ??= { history: historyStore(), sets: setReads(), claims: directoryStoreFor(), profiles: profileReader(), cursors: cursorCodec(), decisions: decisionLog() });

export const handler = httpRouter('traceApi', traceApiRoutes(traceDeps, workspaceStore), { clock: systemClock });
