/** The AB Tasty pull API (Bearer abTastyToken), five routes in one function: routes in http/abtasty.ts. */
import { setReads, workspaceStore } from '../adapters/stores';
import { segmentNameCache } from '../domain/abtasty';
import { systemClock } from '../domain/ports';
import { httpRouter } from '../shared/router';
import { abTastyRoutes, type AbTastyDeps } from './http/abtasty';
import { cursorCodec } from './http/signing';

let deps: AbTastyDeps | undefined;
const abTastyDeps = (): AbTastyDeps => (deps ??= { reads: setReads(), names: segmentNameCache(setReads(), systemClock), cursors: cursorCodec() });

export const handler = httpRouter('abTastyApi', abTastyRoutes(abTastyDeps, workspaceStore), { clock: systemClock });
