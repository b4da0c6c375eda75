/**
 * The benchmark run: one local hub (DynamoDB Local, SQS emulator, the real handlers and pollers),
 * every scenario in turn, then `bench/results.json`, `bench/throughput.svg` and a printed table.
 * `quick` runs every scenario at 1 % of its size (a test does this so the benchmark cannot rot).
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../../functions/adapters/dynamo-client';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { createWorkspace } from '../../functions/domain/workspaces';
import { systemClock } from '../../functions/domain/ports';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { startHub, type LocalHub } from '../local/hub';
import { startDynamoLocal, startSqsEmulator, type RunningService } from '../local/services';
import { measureBundles } from './bundles';
import { buildConsole } from '../console/build';

/** The web console's shipped JavaScript budget (issue 18): 100 KB gzipped. */
export const CONSOLE_JS_BUDGET_GZIP_BYTES = 100 * 1024;
import { throughputChart, type ChartBar } from './chart';
import { countDynamoCalls, type DynamoCounter } from './dynamo-counter';
import { SCENARIOS } from './scenarios';

export interface BenchContext {
  readonly hub: LocalHub;
  readonly doc: DynamoDBDocumentClient;
  readonly counter: DynamoCounter;
  /** 1 for the full run, 0.01 for --quick. */
  readonly scale: number;
  /** Concurrency used by both the pipeline's pollers and the floor. */
  readonly concurrency: number;
  createWorkspace(): Promise<WorkspaceCredentials>;
  log(message: string): void;
}

export interface PipelineResult {
  readonly changes: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly floorPerSecond: number;
  readonly ratioToFloor: number;
  readonly dynamoRequests: Record<string, number>;
  readonly requestsPerChange: number;
  readonly idealRequestsPerChange: number;
  readonly requestRatioToIdeal: number;
  readonly unit: string;
  readonly [extra: string]: unknown;
}

export interface Scenario {
  readonly name: string;
  run(context: BenchContext): Promise<Record<string, unknown>>;
}

export interface BenchOptions {
  readonly quick: boolean;
  readonly outDir?: string;
  /** Reuse running local services (tests); otherwise the run starts its own in memory. */
  readonly endpoints?: { dynamoEndpoint: string; sqsEndpoint: string };
  readonly log?: (message: string) => void;
  /** Only these scenarios (`--only=a,b`), for iterating; the report then goes to `results.partial.json`. */
  readonly only?: readonly string[];
}

export const POLLER_CONCURRENCY = 4;

/** The given local services, or fresh in-memory ones (returned so the run can stop them). */
const ensureServices = async (options: BenchOptions) => {
  const services: RunningService[] = [];
  if (options.endpoints) return { endpoints: options.endpoints, services };
  const dynamo = await startDynamoLocal();
  services.push(dynamo);
  const sqs = await startSqsEmulator();
  services.push(sqs);
  return { endpoints: { dynamoEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint }, services };
};

/** A hub with its own tables and queues, POLLER_CONCURRENCY pollers, and the context scenarios run in. */
const startBenchHub = async (endpoints: { dynamoEndpoint: string; sqsEndpoint: string }, options: BenchOptions, log: (message: string) => void) => {
  const secretKey = randomBytes(32).toString('base64');
  const hub = await startHub({
    ...endpoints,
    port: 0,
    prefix: `bench${randomBytes(3).toString('hex')}`,
    secretKey,
    visibilitySeconds: 60,
    pollerConcurrency: POLLER_CONCURRENCY,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  const doc = DynamoDBDocumentClient.from(hub.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  let workspaces = 0;
  const context: BenchContext = {
    hub,
    doc,
    counter: countDynamoCalls(dynamoClient()),
    scale: options.quick ? 0.01 : 1,
    concurrency: POLLER_CONCURRENCY,
    log,
    createWorkspace: () =>
      createWorkspace(
        { store: dynamoWorkspaceStore(doc, hub.tables.workspaces), secrets: localSecretBox(secretKey), clock: systemClock },
        { name: `bench-${(workspaces += 1)}` },
      ),
  };
  return context;
};

/** The share of a full run each scenario runs once, unmeasured, before the measured runs. */
export const WARM_UP_SCALE = 0.1;

/**
 * One scenario with the stream consumers paused. They write another table (history) from a
 * stream: in AWS neither takes the membership table's capacity. Locally one DynamoDB process serves
 * both, so they wait until the scenario is measured, then catch up on their own clock.
 */
const runWithStreamsPaused = async (context: BenchContext, scenario: Scenario, runContext: BenchContext) => {
  context.hub.streams.pause();
  const result = await scenario.run(runContext);
  const caughtUp = performance.now();
  context.hub.streams.resume();
  await context.hub.streams.settled();
  return { ...result, streamCatchUpSeconds: Math.round((performance.now() - caughtUp) / 10) / 100 };
};

/**
 * Runs each scenario once at a tenth of its size and throws the results away. DynamoDB Local is a
 * JVM: its first minute of work runs partly interpreted. Without this, the first pipeline measured
 * ran on a cold JVM while its floor, measured right after, ran on a warm one (`--only=currents`
 * gave 2.0–2.2 alone and 1.6 after the cohort scenario had warmed the JVM).
 */
const warmUp = async (context: BenchContext, scenarios: readonly Scenario[]): Promise<void> => {
  const small = { ...context, scale: WARM_UP_SCALE, log: () => undefined };
  for (const scenario of scenarios) {
    context.log(`▷ warm-up ${scenario.name}`);
    await runWithStreamsPaused(context, scenario, small);
  }
};

/** Every scenario in turn (after a warm-up, unless quick), then the bundle sizes. */
const runScenarios = async (context: BenchContext, outDir: string, quick: boolean, only?: readonly string[]): Promise<Record<string, unknown>> => {
  const results: Record<string, unknown> = {};
  const scenarios = SCENARIOS.filter((candidate) => !only || only.includes(candidate.name));
  if (!quick) await warmUp(context, scenarios);
  for (const scenario of scenarios) {
    context.log(`▶ ${scenario.name}`);
    results[scenario.name] = await runWithStreamsPaused(context, scenario, context);
  }
  if (only) return results;
  context.log('▶ bundles');
  results.bundles = await measureBundles(join(outDir, 'out', 'bundles'), quick ? 3 : 20);
  context.log('▶ console bundle');
  const built = await buildConsole(join(outDir, 'out', 'console'));
  results.consoleBundle = { jsBytes: built.jsBytes, jsGzipBytes: built.jsGzipBytes, budgetGzipBytes: CONSOLE_JS_BUDGET_GZIP_BYTES, withinBudget: built.jsGzipBytes <= CONSOLE_JS_BUDGET_GZIP_BYTES };
  return results;
};

/** `results[.quick].json` and `throughput[.quick].svg` in `outDir`. */
const writeReport = (outDir: string, report: { date: string; quick: boolean; machine: { cpus: number } }, results: Record<string, unknown>, partial: boolean): void => {
  mkdirSync(outDir, { recursive: true });
  if (partial) {
    writeFileSync(join(outDir, 'results.partial.json'), `${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  writeFileSync(join(outDir, report.quick ? 'results.quick.json' : 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  const bars: ChartBar[] = Object.entries(results)
    .filter((entry): entry is [string, PipelineResult] => typeof (entry[1] as PipelineResult).perSecond === 'number')
    .map(([name, result]) => ({ label: name, pipeline: result.perSecond, floor: result.floorPerSecond, unit: result.unit }));
  writeFileSync(join(outDir, report.quick ? 'throughput.quick.svg' : 'throughput.svg'), throughputChart(bars, `Throughput vs DynamoDB floor (${report.date.slice(0, 10)}, ${report.machine.cpus} cores)`));
};

export const runBench = async (options: BenchOptions): Promise<Record<string, unknown>> => {
  const log = options.log ?? ((message: string) => console.error(message));
  const outDir = options.outDir ?? resolve(__dirname, '..', '..', 'bench');
  const started = Date.now();
  const { endpoints, services } = await ensureServices(options);
  const context = await startBenchHub(endpoints, options, log);
  let results: Record<string, unknown>;
  try {
    results = await runScenarios(context, outDir, options.quick, options.only);
  } finally {
    await context.hub.stop();
    for (const service of services.reverse()) await service.stop();
  }
  const report = {
    date: new Date().toISOString(),
    quick: options.quick,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    pollerConcurrency: POLLER_CONCURRENCY,
    wallSeconds: (Date.now() - started) / 1000,
    scenarios: results,
  };
  writeReport(outDir, report, results, options.only !== undefined);
  return report;
};

/** Prints the results as a table. */
export const printReport = (report: { scenarios: Record<string, unknown> }): void => {
  const rows: Record<string, unknown>[] = [];
  for (const [name, result] of Object.entries(report.scenarios)) {
    if (name === 'bundles' || name === 'consoleBundle') continue;
    rows.push({ scenario: name, ...(result as Record<string, unknown>) });
  }
  console.table(rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => typeof value !== 'object'))));
  console.table(report.scenarios.bundles);
  console.table({ console: report.scenarios.consoleBundle });
};
