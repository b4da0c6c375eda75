/**
 * The DynamoDB document client, one per execution environment. The endpoint comes from the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` variable, which is how the local stack points it at
 * DynamoDB Local without any code path of its own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withoutSdkLogger } from './aws-clients';

let client: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;

export const dynamoClient = (): DynamoDBClient => {
  client ??= withoutSdkLogger(new DynamoDBClient({ maxAttempts: 5 }));
  return client;
};

export const dynamoDocumentClient = (): DynamoDBDocumentClient => {
  documentClient ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
};
