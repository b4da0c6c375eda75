/**
 * Cohort import limits on the local stack: the per-workspace rate limit (fixed window counter in
 * DynamoDB, lowered by env for the test) and a poison message that ends in the DLQ with its import
 * report marked failed.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { collapseIdentifierChanges } from '../../functions/domain/cohort-import-validation';
import { planMembershipMessages } from '../../functions/domain/cohort-ingest';
import { sqsMessageFits } from '../../functions/shared/enqueue';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

describe('cohort import limits', () => {
  let hub: TestHub;
  let creds: WorkspaceCredentials;

  beforeAll(async () => {
    hub = await startTestHub({ env: { POWERTOOLS_LOG_LEVEL: 'SILENT', COHORT_IMPORT_RATE_LIMIT: '3' } });
    creds = await hub.createWorkspace({ partnerName: 'segment' });
  });
  afterAll(() => hub.stop());

  const probe = (dataImportKey: string) =>
    hub.request('POST', '/partners/segment/cohorts/users', {
      body: { client_secret: dataImportKey, partner_api_key: 'k', cohort_id: 'will_add_in_constant', cohort_changes: [] },
    });

  it('answers 429 with X-RateLimit headers once a workspace used its window, without touching other workspaces', async () => {
    const other = await hub.createWorkspace({ partnerName: 'segment' });

    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await probe(creds.dataImportKey));
    const otherAnswer = await probe(other.dataImportKey);

    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 429]);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    const limited = answers[3]!;
    expect(limited.body).toEqual({ message: 'Rate limit exceeded' });
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(otherAnswer.status).toBe(201);
  });

  it('moves a part that always fails to the DLQ and marks its import report failed', async () => {
    // Passes the message schema but cannot be applied: a claim key over DynamoDB's 2 KB key limit.
    const [body] = planMembershipMessages(
      { workspaceId: creds.workspaceId, partner: 'segment', cohortId: 'poisoned', importId: 'imp_poison', receivedAt: Date.now() },
      collapseIdentifierChanges([{ identifier: { kind: 'external_id', value: 'x'.repeat(3000) }, op: 'add' }]),
      { user_ids: 1, device_ids: 0, aliases: 0 },
      sqsMessageFits,
    ) ?? [];

    await hub.sqs.send(new SendMessageCommand({ QueueUrl: hub.queues.cohortImport.url, MessageBody: body! }));
    const dead = await eventually(async () => {
      const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.queues.cohortImport.dlqUrl, WaitTimeSeconds: 1 }));
      return received.Messages?.length ? received.Messages : undefined;
    }, 40000, 'the poison part in the DLQ');
    const report = await hub.request('GET', '/v1/cohorts/poisoned/imports/imp_poison', { headers: { Authorization: `Bearer ${creds.apiKey}` } });

    expect(JSON.parse(dead[0]!.Body!).importId).toBe('imp_poison');
    expect(report.body).toMatchObject({ import_id: 'imp_poison', status: 'failed' });
    expect(report.body.failure_reason).toEqual(expect.any(String));
    // A stable code (docs/cohort-import.md), not DynamoDB's message about key sizes.
    expect(report.body.failure_reason).toBe('invalid_data');
    expect(JSON.stringify(report.body)).not.toMatch(/primary key|bytes/i);
  });
});
