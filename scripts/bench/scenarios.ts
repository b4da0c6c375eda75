/** The benchmark scenarios, in run order. Each pipeline scenario measures itself against its floor. */
import type { Scenario } from './run';
import { cohortImportScenario } from './scenarios/cohort-import';
import { currentsScenario } from './scenarios/currents';
import { heapSyncManySetsScenario, heapSyncSingleSetScenario } from './scenarios/heap-sync';
import { requestPathScenario } from './scenarios/request-path';

export const SCENARIOS: Scenario[] = [cohortImportScenario, currentsScenario, heapSyncSingleSetScenario, heapSyncManySetsScenario, requestPathScenario];
