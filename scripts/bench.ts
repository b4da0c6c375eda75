/** `npm run bench [-- --quick]`: see scripts/bench/run.ts. */
import { printReport, runBench } from './bench/run';

runBench({ quick: process.argv.includes('--quick') })
  .then((report) => {
    printReport(report as { scenarios: Record<string, unknown> });
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
