/**
 * Operations reads for the console (opsApi, `apiKey`): the workspace's partner connections (what
 * each partner is given, and the last request each one accepted and refused) and the depth of every
 * work queue and its DLQ.
 */
import type { CredentialKind, WorkspaceRecord } from '../schemas/workspace';
import { ok } from './outcomes';
import type { ConnectionLogReader, QueueDepthReader } from './ports';

/** The partner connections a workspace can have, with the route each one calls and the credential it presents. */
export const CONNECTIONS = [
  { id: 'brazeCohortImport', name: 'Braze cohort import', route: 'POST /partners/{partner}/cohorts', credential: 'dataImportKey' },
  { id: 'currents', name: 'Braze Currents', route: 'POST /currents', credential: 'currentsToken' },
  { id: 'heap', name: 'Heap segment sync', route: 'POST /heap/segments/{workspaceId}', credential: 'heapWebhookSecret' },
  { id: 'segment', name: 'Segment audiences', route: 'POST /segment/audiences/{workspaceId}', credential: 'segmentToken' },
  { id: 'abtasty', name: 'AB Tasty delivery', route: 'outbound UDC push', credential: 'abTastyToken' },
] as const satisfies readonly { id: string; name: string; route: string; credential: CredentialKind }[];

/** Whether a connection is set up on the workspace's side (AB Tasty needs a destination, the others only a credential). */
const configured = (workspace: WorkspaceRecord, id: (typeof CONNECTIONS)[number]['id']): boolean => {
  if (id === 'abtasty') return workspace.abTasty?.enabled === true;
  if (id === 'heap') return workspace.credentialCiphertexts.heapWebhookSecret !== undefined;
  return true;
};

/** `GET /v1/connections`. */
export const listConnections = async (log: ConnectionLogReader, workspace: WorkspaceRecord) => {
  const seen = await log.lastSeen(workspace.workspaceId, CONNECTIONS.map((connection) => connection.id));
  return ok({
    workspace_id: workspace.workspaceId,
    name: workspace.name,
    partner_name: workspace.partnerName,
    partner_key_policy: workspace.partnerKeyPolicy,
    connections: CONNECTIONS.map((connection) => ({
      ...connection,
      configured: configured(workspace, connection.id),
      last_accepted: seen[connection.id]?.accepted ?? null,
      last_refused: seen[connection.id]?.refused ?? null,
    })),
  });
};

/** `GET /v1/queues`. */
export const queueDepths = async (reader: QueueDepthReader) => ok({ queues: await reader.depths() });
