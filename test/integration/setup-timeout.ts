// Integration tests wait on real queues and DynamoDB Local: allow them a minute each.
jest.setTimeout(60_000);
