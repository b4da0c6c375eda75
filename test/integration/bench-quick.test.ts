import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from '../../scripts/bench/run';
import { functionDefinitions } from '../../functions/shared/definitions/functions';
import { endpoints } from './harness';

// Runs `npm run bench -- --quick` in process so the benchmark cannot rot. Nothing about speed is
// asserted: only that every figure the README quotes is produced.
describe('npm run bench -- --quick', () => {
  it('produces every figure in results.json and a chart', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'bench-'));

    await runBench({ quick: true, outDir, endpoints: endpoints(), log: () => undefined });

    const report = JSON.parse(readFileSync(join(outDir, 'results.quick.json'), 'utf8'));
    for (const pipeline of ['cohortImportSingleSet', 'currents', 'heapSyncSingleSet', 'heapSyncManySets']) {
      expect(report.scenarios[pipeline]).toEqual(
        expect.objectContaining({
          perSecond: expect.any(Number),
          floorPerSecond: expect.any(Number),
          ratioToFloor: expect.any(Number),
          requestsPerChange: expect.any(Number),
          requestRatioToIdeal: expect.any(Number),
        }),
      );
      expect(report.scenarios[pipeline].cpuSeconds.pipeline.hub).toBeGreaterThan(0);
    }
    for (const pipeline of ['cohortImportSingleSet', 'currents']) {
      expect(report.scenarios[pipeline]).toEqual(expect.objectContaining({ lookupFloorPerSecond: expect.any(Number), ratioToLookupFloor: expect.any(Number) }));
    }
    expect(report.scenarios.cohortImportSingleSet).toEqual(
      expect.objectContaining({ readsFloorPerSecond: expect.any(Number), readsFloorToFloor: expect.any(Number), ratioToReadsFloor: expect.any(Number) }),
    );
    expect(Object.keys(report.scenarios.requestPath)).toEqual(
      expect.arrayContaining(['cohortIngest1000InProcess', 'currentsIngest100InProcess', 'abTastyVisitorSegmentsHttp', 'abTastyVisitorContextHttp', 'abTastyVisitorSegmentsHttpNoPointerCache', 'abTastyVisitorContextHttpNoPointerCache']),
    );
    expect(report.scenarios.bundles.map((b: { function: string }) => b.function).sort()).toEqual(functionDefinitions().map(([key]) => key).sort());
    // Sizes are deterministic: every function within the budget (adapters/stores.ts `once` keeps bundles lean).
    expect(report.scenarios.bundles.filter((b: { withinBudget: boolean }) => !b.withinBudget)).toEqual([]);
    expect(readFileSync(join(outDir, 'throughput.quick.svg'), 'utf8')).toContain('<svg');
    expect(report.scenarios.consoleBundle).toMatchObject({ jsGzipBytes: expect.any(Number), withinBudget: true });
  }, 300_000);
});
