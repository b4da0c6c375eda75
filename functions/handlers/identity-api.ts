/** Braze-shaped alias management (workspace `apiKey`): POST /users/alias/new and POST /users/identify; routes in http/identity.ts. */
import { directoryStoreFor, membershipStore, setReads, workspaceStore } from '../adapters/stores';
import type { DirectoryDeps } from '../domain/directory';
import { systemClock } from '../domain/ports';
import { httpRouter } from '../shared/router';
import { identityRoutes } from './http/identity';

const deps = (): DirectoryDeps => ({
  directory: directoryStoreFor(),
  membership: {
    apply: (...args) => membershipStore().apply(...args),
    setsOfMember: (...args) => setReads().setsOfMember(...args),
  },
});

export const handler = httpRouter('identityApi', identityRoutes(deps, workspaceStore), { clock: systemClock });
