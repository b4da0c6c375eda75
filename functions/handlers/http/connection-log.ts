/** The connection observer of an ingest handler: its answers become the workspace's last accepted / refused request (adapters/connection-log.ts). */
import { connectionLog } from '../../adapters/stores';
import type { ConnectionObserver } from '../../shared/router';

export const observeConnection = <A>(connection: string, workspaceOf: ConnectionObserver<A>['workspaceOf']): ConnectionObserver<A> => ({
  connection,
  workspaceOf,
  record: (...args) => connectionLog().record(...args),
});
