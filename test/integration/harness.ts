/**
 * Integration harness: a full local hub (same handlers, pollers, real DynamoDB Local and SQS
 * emulator started by global-setup.mjs) under a unique table/queue prefix per test file.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startHub, type HubOptions, type LocalHub } from '../../scripts/local/hub';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { directoryStore } from '../../functions/adapters/directory';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { createWorkspace, type CreateWorkspaceInput } from '../../functions/domain/workspaces';
import { systemClock } from '../../functions/domain/ports';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';

export interface RequestOptions {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  body: any;
  headers: Headers;
  text: string;
}

export interface TestHub extends LocalHub {
  readonly doc: DynamoDBDocumentClient;
  readonly secretKey: string;
  createWorkspace(input?: Partial<CreateWorkspaceInput>): Promise<WorkspaceCredentials>;
  /** fetch against the hub with a JSON body. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
}

export const endpoints = () => {
  const dynamoEndpoint = process.env.HUB_TEST_DYNAMO_ENDPOINT;
  const sqsEndpoint = process.env.HUB_TEST_SQS_ENDPOINT;
  if (!dynamoEndpoint || !sqsEndpoint) throw new Error('integration services not started (global-setup.mjs)');
  return { dynamoEndpoint, sqsEndpoint };
};

export const startTestHub = async (options: Partial<HubOptions> = {}): Promise<TestHub> => {
  const secretKey = randomBytes(32).toString('base64');
  const hub = await startHub({
    ...endpoints(),
    port: 0,
    prefix: `t${randomBytes(4).toString('hex')}`,
    visibilitySeconds: 1,
    secretKey,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    // Stream consumers only where a test reads what they write (history, change events): less DynamoDB Local load on 2 cores.
    streamPollers: false,
    ...options,
  });
  const doc = DynamoDBDocumentClient.from(hub.dynamo);
  let counter = 0;
  return {
    ...hub,
    doc,
    secretKey,
    // The shared DynamoDB Local outlives every test file: drop this hub's tables so later files do not pay for them.
    stop: async () => {
      await hub.stop();
      await Promise.all(Object.values(hub.tables).map((TableName) => hub.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
    },
    createWorkspace: (input = {}) => {
      counter += 1;
      return createWorkspace(
        { store: dynamoWorkspaceStore(doc, hub.tables.workspaces), secrets: localSecretBox(secretKey), clock: systemClock },
        { name: `ws-${counter}-${randomBytes(3).toString('hex')}`, ...input },
      );
    },
    request: async (method, path, requestOptions = {}) => {
      const response = await fetch(`${hub.url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...requestOptions.headers },
        ...(requestOptions.raw !== undefined
          ? { body: requestOptions.raw }
          : requestOptions.body !== undefined
            ? { body: JSON.stringify(requestOptions.body) }
            : {}),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, body, headers: response.headers, text };
    },
  };
};

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export const eventually = async <T>(check: () => Promise<T | undefined>, timeoutMs = 20000, what = 'condition'): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Sends one Braze cohort change (partner `heap`), waits until its import is applied, returns the import id. */
export const importCohortChange = async (hub: TestHub, creds: WorkspaceCredentials, cohortId: string, change: Record<string, unknown>): Promise<string> => {
  const response = await hub.request('POST', '/partners/heap/cohorts/users', {
    body: { partner_api_key: 'heap-key', client_secret: creds.dataImportKey, cohort_id: cohortId, cohort_changes: [change] },
  });
  if (response.status !== 201) throw new Error(`cohort import answered ${response.status}: ${response.text}`);
  const importId = response.body.import_id as string;
  const report = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });
  await eventually(async () => ((await report(`/v1/cohorts/${cohortId}/imports/${importId}`)).body?.status === 'applied' ? true : undefined), 20000, `import ${importId}`);
  return importId;
};

/**
 * A test hub without pollers for the enclosing `describe` (started before its tests, stopped after),
 * and the directory store on its tables: the setup of the directory adapter suites.
 */
export const directoryHub = () => {
  let hub: TestHub | undefined;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub?.stop());
  const started = () => {
    if (!hub) throw new Error('the test hub is not started yet');
    return hub;
  };
  return { hub: started, store: () => directoryStore(started().doc, { users: started().tables.users, aliases: started().tables.aliases }) };
};
