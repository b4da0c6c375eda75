/** `npm run bench [-- --quick] [-- --only=scenarioA,scenarioB]`: see scripts/bench/run.ts. */
import { printReport, runBench } from './bench/run';

const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');

runBench({ quick: process.argv.includes('--quick'), ...(only ? { only } : {}) })
  .then((report) => {
    printReport(report as { scenarios: Record<string, unknown> });
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
