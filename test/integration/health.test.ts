import { startTestHub, type TestHub } from './harness';

describe('GET /health on the local server', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  it('answers 200 with every table and queue dependency up', async () => {
    const response = await hub.request('GET', '/health');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      dependencies: { dynamodb: 'up', 'sqs:cohortImport': 'up', 'sqs:currents': 'up', 'sqs:heapSync': 'up', 'sqs:abTastyDelivery': 'up', 'sqs:brazeExport': 'up', 'sqs:changeWebhook': 'up' },
    });
  });

  it('answers 404 in JSON for an unknown route', async () => {
    const response = await hub.request('GET', '/nope');

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not found' });
  });
});

describe('GET /openapi.json on the local server', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  it('serves the OpenAPI document with the health route in it', async () => {
    const response = await hub.request('GET', '/openapi.json');

    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths)).toContain('/health');
  });
});
