/**
 * `npm start`: DynamoDB Local + SQS emulator + the hub's handlers and pollers on http://127.0.0.1:PORT,
 * with a ready dev workspace whose credentials are printed and saved to `.hub/credentials.json`.
 * `--in-memory` keeps nothing; otherwise DynamoDB data lives in `.hub/dynamodb/`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { createWorkspace, rotateCredential, setEncryptedCredential } from '../../functions/domain/workspaces';
import { systemClock } from '../../functions/domain/ports';
import { issueMissingSigningKeys } from '../../functions/domain/signing-keys';
import { CREDENTIAL_KINDS, CREDENTIALS, isHashedCredential, type CredentialKind } from '../../functions/shared/definitions/credentials';
import { generateSecret } from '../../functions/shared/crypto';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal, startSqsEmulator, type RunningService } from './services';
import { startHub, type LocalHub } from './hub';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { credentialsFile, hubDir, localSecretKey, readCredentials, runtimeFile, writePrivate } from '../lib/local-state';
import { abTastyUrls } from '../../functions/adapters/abtasty-http';
import { abTastyEndpointOverrides } from '../../functions/shared/config';

const DEV_WORKSPACE = 'dev';

const ensureDevWorkspace = async (
  resources: { tables: { workspaces: string }; dynamo: DynamoDBClient },
  secretKey: string,
): Promise<WorkspaceCredentials> => {
  const store = dynamoWorkspaceStore(DynamoDBDocumentClient.from(resources.dynamo), resources.tables.workspaces);
  const secrets = localSecretBox(secretKey);
  const saved = readCredentials<WorkspaceCredentials>();
  // Workspaces kept from before per-workspace signing keys get theirs (docs/reliability.md, rotation).
  await issueMissingSigningKeys({ store, secrets, clock: systemClock });
  const existing = await store.getByName(DEV_WORKSPACE);
  if (!existing) return createWorkspace({ store, secrets, clock: systemClock }, { name: DEV_WORKSPACE });
  // The data survived but the plaintext credentials did not (all of them, or the kinds added to the
  // registry since they were saved): issue a fresh one of each missing kind.
  const known = saved?.workspaceId === existing.workspaceId ? saved : undefined;
  const fresh: Record<string, string> = { ...known, workspaceId: existing.workspaceId, partnerName: existing.partnerName };
  // Revoked at once: nobody holds the lost values. A partner-issued kind gets a fresh stand-in value.
  const issue = async (kind: CredentialKind): Promise<string> => {
    if (isHashedCredential(kind)) return (await rotateCredential({ store, secrets, clock: systemClock }, DEV_WORKSPACE, kind, { graceSeconds: 0 })).value;
    const value = generateSecret(CREDENTIALS[kind].prefix);
    await setEncryptedCredential({ store, secrets }, DEV_WORKSPACE, kind, value);
    return value;
  };
  for (const kind of CREDENTIAL_KINDS.filter((each) => known?.[each] === undefined)) fresh[kind] = await issue(kind);
  return fresh as unknown as WorkspaceCredentials;
};

const main = async () => {
  const started = Date.now();
  const inMemory = process.argv.includes('--in-memory');
  const port = Number(process.env.PORT ?? 3000);
  mkdirSync(hubDir(), { recursive: true });
  const services: RunningService[] = [];
  let hub: LocalHub | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await hub?.stop().catch(() => undefined);
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    rmSync(runtimeFile(), { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const dataDir = inMemory ? undefined : join(hubDir(), 'dynamodb');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const dynamo = await startDynamoLocal({ ...(process.env.DYNAMODB_PORT ? { port: Number(process.env.DYNAMODB_PORT) } : {}), ...(dataDir ? { dataDir } : {}) });
    services.push(dynamo);
    const sqs = await startSqsEmulator(process.env.SQS_PORT ? { port: Number(process.env.SQS_PORT) } : {});
    services.push(sqs);
    const secretKey = localSecretKey();
    let credentials: WorkspaceCredentials | undefined;
    // The dev workspace exists before the server answers: once /health is 200, its credentials work.
    hub = await startHub({
      dynamoEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      port,
      secretKey,
      // The workers push to AB Tasty at ABTASTY_TOKEN_URL / ABTASTY_UDC_URL when set (a local fake), else at AB Tasty's own URLs.
      env: Object.fromEntries(Object.entries(abTastyEndpointOverrides()).filter((entry): entry is [string, string] => Boolean(entry[1]))),
      consoleDir: join(hubDir(), 'console'),
      s3Dir: join(hubDir(), 's3'), // the Braze import bucket, as a watched folder (docs/braze-export.md)
      ...{ eventsDir: join(hubDir(), 'events'), archiveDir: join(hubDir(), 'archive') }, // change events (docs/events.md), the Currents archive bucket (docs/currents.md)
      ...(process.env.BRAZE_EXPORT_CHECK_SECONDS ? { brazeExportCheckMs: Number(process.env.BRAZE_EXPORT_CHECK_SECONDS) * 1000 } : {}),
      beforeListen: async (resources) => {
        credentials = await ensureDevWorkspace(resources, secretKey);
        writePrivate(credentialsFile(), credentials);
      },
    });
    writePrivate(runtimeFile(), { dynamoEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint, prefix: 'hub-local', url: hub.url, pid: process.pid });

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const urls = abTastyUrls();
    console.log(`
Audience hub is running on ${hub.url}  (ready in ${seconds} s${inMemory ? ', in memory' : ''})
  DynamoDB Local  ${dynamo.endpoint}
  SQS emulator    ${sqs.endpoint}
  Health          ${hub.url}/health
  Console         ${hub.url}/console  (sign in with the dev workspace's apiKey; consoleAdminKey for rotation)
  AB Tasty        token ${urls.tokenUrl}, UDC ${urls.udcUrl} (ABTASTY_TOKEN_URL / ABTASTY_UDC_URL)
  Braze import    drop Braze export files under ${hub.importBucketDir}/segment-export/<segment id>/… (S3 events to the worker)

Dev workspace "${DEV_WORKSPACE}" (also in ${credentialsFile()}):
${JSON.stringify(credentials, null, 2)}

Ctrl-C stops everything.`);
  } catch (error) {
    console.error(`Could not start the local stack: ${(error as Error).message}`);
    await stop(1);
  }
};

void main();
