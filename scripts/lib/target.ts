/**
 * Where an admin command acts: the running local stack (endpoints from `.hub/runtime.json`), or a
 * deployed stack (`--stage <name>`: normal AWS credentials, tables `hub-<stage>-*`, and the KMS key
 * from `HUB_SECRET_KMS_KEY_ID`, which the stack prints as an output). Its SDK clients go without the
 * logger middleware, as the hub's own (adapters/aws-clients.ts `withoutSdkLogger`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { physicalTableName, type TableKey } from '../../functions/shared/definitions/tables';
import type { SecretBox } from '../../functions/domain/ports';
import { withoutSdkLogger } from '../../functions/adapters/aws-clients';
import { kmsSecretBox, localSecretBox } from '../../functions/adapters/secret-box';
import { LOCAL_AWS_ENV } from '../local/services';
import { localSecretKey, readRuntime } from './local-state';

export interface Target {
  readonly kind: 'local' | 'aws';
  readonly prefix: string;
  readonly dynamo: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  table(key: TableKey): string;
  secrets(): SecretBox;
}

export const resolveTarget = (stage: string | undefined): Target => {
  if (stage) {
    const prefix = `hub-${stage}`;
    const dynamo = withoutSdkLogger(new DynamoDBClient({}));
    return {
      kind: 'aws',
      prefix,
      dynamo,
      doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      sqs: withoutSdkLogger(new SQSClient({})),
      table: (key) => physicalTableName(prefix, key),
      secrets: () => {
        const keyId = process.env.HUB_SECRET_KMS_KEY_ID;
        if (!keyId) throw new Error('Set HUB_SECRET_KMS_KEY_ID to the SecretsKeyArn output of the stateful stack');
        return kmsSecretBox(keyId);
      },
    };
  }
  const runtime = readRuntime();
  if (!runtime) throw new Error('The local stack is not running: start it with `npm start` (or pass --stage <name> for AWS)');
  const credentials = { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY };
  const dynamo = withoutSdkLogger(new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials }));
  return {
    kind: 'local',
    prefix: runtime.prefix,
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: withoutSdkLogger(new SQSClient({ endpoint: runtime.sqsEndpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials, useQueueUrlAsEndpoint: false })),
    table: (key) => physicalTableName(runtime.prefix, key),
    secrets: () => localSecretBox(localSecretKey()),
  };
};
