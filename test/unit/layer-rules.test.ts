/**
 * The layer rules of eslint.config.mjs (docs/architecture.md), proved on fixture sources linted as
 * if they were files of each folder: what a folder may not import is an error (so `npm run lint`
 * fails), what it may import passes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface LintMessage {
  readonly ruleId: string | null;
  readonly severity: number;
  readonly message: string;
  readonly line: number;
}

const FIXTURES = {
  domainImportsSdk: {
    filePath: 'functions/domain/x.ts',
    source: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\n",
  },
  domainImportsAdapter: {
    filePath: 'functions/domain/x.ts',
    source: "import { dynamoDocumentClient } from '../adapters/dynamo-client';\nexport const doc = dynamoDocumentClient();\n",
  },
  domainImportsAdapterTypeOnly: {
    filePath: 'functions/domain/x.ts',
    source: "import type { DirectoryStore } from '../adapters/directory-store';\nexport type Store = DirectoryStore;\n",
  },
  domainImportsHandler: {
    filePath: 'functions/domain/x.ts',
    source: "import { handler } from '../handlers/health';\nexport const h = handler;\n",
  },
  domainAllowed: {
    filePath: 'functions/domain/x.ts',
    source: [
      "import { changeVersion } from './membership';",
      "import type { Clock } from './ports';",
      "import { profileSchema } from '../schemas/directory';",
      "import { ownValue } from '../shared/own';",
      "import * as z from 'zod/mini';",
      'export const all = [changeVersion, profileSchema, ownValue, z.string()];',
      'export type C = Clock;',
      '',
    ].join('\n'),
  },
  domainImportsTransport: {
    filePath: 'functions/domain/x.ts',
    source: [
      "import { BadRequestError } from '../shared/errors';",
      "import { enqueueAll } from '../shared/enqueue';",
      "import { encodeCursor } from '../shared/cursor';",
      "import { httpHandler } from '../shared/http';",
      "import { sqsWorker } from '../shared/sqs-worker';",
      "import { requireBearer } from '../shared/auth';",
      "import { hashSecret } from '../shared/crypto';",
      'export const all = [BadRequestError, enqueueAll, encodeCursor, httpHandler, sqsWorker, requireBearer, hashSecret];',
      '',
    ].join('\n'),
  },
  sharedImportsAdapterAndDomain: {
    filePath: 'functions/shared/x.ts',
    source: "import { dynamoClient } from '../adapters/dynamo-client';\nimport { systemClock } from '../domain/ports';\nexport const all = [dynamoClient, systemClock];\n",
  },
  sharedAllowed: {
    filePath: 'functions/shared/x.ts',
    source: "import { QUEUES } from './definitions/queues';\nimport { METRICS } from './metric-names';\nexport const all = [QUEUES, METRICS];\n",
  },
  runtimeImportsCdk: {
    filePath: 'functions/adapters/x.ts',
    source: "import { Duration } from 'aws-cdk-lib';\nimport { Table } from 'aws-cdk-lib/aws-dynamodb';\nimport { Construct } from 'constructs';\nexport const all = [Duration, Table, Construct];\n",
  },
  runtimeReadsEnv: {
    filePath: 'functions/handlers/x.ts',
    source: 'export const region = process.env.AWS_REGION;\n',
  },
  runtimeReadsTheTime: {
    filePath: 'functions/handlers/x.ts',
    source: 'export const now = Date.now();\nexport const today = new Date();\nexport const converted = new Date(0);\n',
  },
  systemClockReadsTheTime: {
    filePath: 'functions/domain/ports.ts',
    source: 'export const systemClock = { now: () => Date.now() };\n',
  },
  libImportsCdk: {
    filePath: 'lib/x.ts',
    source: "import { Duration } from 'aws-cdk-lib';\nexport const d = Duration.seconds(1);\n",
  },
  domainDeclaresPort: {
    filePath: 'functions/domain/x.ts',
    source: [
      'export interface Store {',
      '  get(id: string): Promise<string | undefined>;',
      '}',
      'export interface Plain {',
      '  readonly id: string;',
      '  size(): number;',
      '}',
      '',
    ].join('\n'),
  },
  portsDeclarePort: {
    filePath: 'functions/domain/ports/x.ts',
    source: 'export interface Store {\n  get(id: string): Promise<string | undefined>;\n}\n',
  },
} as const;

type Fixture = keyof typeof FIXTURES;

let messages: Record<Fixture, LintMessage[]>;

beforeAll(() => {
  const names = Object.keys(FIXTURES) as Fixture[];
  const output = execFileSync(process.execPath, [join(__dirname, 'lint-text.mjs')], {
    input: JSON.stringify(names.map((name) => FIXTURES[name])),
    encoding: 'utf8',
  });
  const results = JSON.parse(output) as LintMessage[][];
  messages = Object.fromEntries(names.map((name, index) => [name, results[index] ?? []])) as Record<Fixture, LintMessage[]>;
}, 120_000);

/** The lines reported as errors by a rule (an error fails `npm run lint`). */
const errorLines = (fixture: Fixture, rule = 'no-restricted-imports') =>
  messages[fixture].filter((message) => message.ruleId === rule && message.severity === 2).map((message) => message.line);

describe('layer rules in eslint.config.mjs', () => {
  it('refuses @aws-sdk/* in functions/domain/', () => {
    expect(errorLines('domainImportsSdk')).toEqual([1]);
    expect(messages.domainImportsSdk[0]?.message).toContain("'@aws-sdk/client-dynamodb'");
  });

  it('refuses anything under functions/adapters/ in functions/domain/, type-only imports included', () => {
    expect(errorLines('domainImportsAdapter')).toEqual([1]);
    expect(errorLines('domainImportsAdapterTypeOnly')).toEqual([1]);
  });

  it('refuses functions/handlers/ in functions/domain/', () => {
    expect(errorLines('domainImportsHandler')).toEqual([1]);
  });

  it('lets functions/domain/ import domain, schemas, shared helpers and zod/mini', () => {
    expect(messages.domainAllowed).toEqual([]);
  });

  it('refuses HTTP and SQS code from functions/shared/ in functions/domain/, allows the other shared helpers', () => {
    expect(errorLines('domainImportsTransport')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses adapters/ and domain/ in functions/shared/, allows shared/ itself', () => {
    expect(errorLines('sharedImportsAdapterAndDomain')).toEqual([1, 2]);
    expect(messages.sharedAllowed).toEqual([]);
  });

  it('refuses aws-cdk-lib and constructs anywhere under functions/, not in lib/', () => {
    expect(errorLines('runtimeImportsCdk')).toEqual([1, 2, 3]);
    expect(messages.libImportsCdk).toEqual([]);
  });

  it('refuses a port (an interface with a method returning a Promise) in functions/domain/ outside ports.ts and ports/', () => {
    expect(errorLines('domainDeclaresPort', 'no-restricted-syntax')).toEqual([2]);
    expect(messages.portsDeclarePort).toEqual([]);
  });

  it('refuses process.env under functions/ outside shared/config.ts', () => {
    expect(errorLines('runtimeReadsEnv', 'no-restricted-properties')).toEqual([1]);
  });

  it('refuses reading the time under functions/ (Date.now(), new Date()) except in systemClock, allows converting one', () => {
    expect(errorLines('runtimeReadsTheTime', 'no-restricted-properties')).toEqual([1]);
    expect(errorLines('runtimeReadsTheTime', 'no-restricted-syntax')).toEqual([2]);
    expect(messages.systemClockReadsTheTime).toEqual([]);
  });
});
