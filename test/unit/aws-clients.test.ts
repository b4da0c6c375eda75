import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { withoutSdkLogger } from '../../functions/adapters/aws-clients';
import { localClients } from '../../scripts/local/hub';
import { localStreamsClient } from '../../scripts/local/stream-poller';

const names = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

describe('withoutSdkLogger', () => {
  it.each([
    ['DynamoDB', () => new DynamoDBClient({ region: 'us-east-1' })],
    ['SQS', () => new SQSClient({ region: 'us-east-1' })],
  ])('removes the %s client logger middleware, which filters every call for a logger that discards it', (_name, make) => {
    // The middleware is there by default (if the SDK renames it, this says so instead of passing quietly).
    expect(names(make())).toContain('loggerMiddleware');
    expect(names(withoutSdkLogger(make()))).not.toContain('loggerMiddleware');
  });
});

describe('the local stack’s clients (scripts/local)', () => {
  it('carry no logger middleware either: the local pollers stand in for Lambda’s event source mappings', async () => {
    const { dynamo, sqs } = localClients('http://127.0.0.1:1', 'http://127.0.0.1:2');
    expect(names(dynamo)).not.toContain('loggerMiddleware');
    expect(names(sqs)).not.toContain('loggerMiddleware');
    expect(names(await localStreamsClient(dynamo))).not.toContain('loggerMiddleware');
  });
});
