/** The benchmark scenarios, in run order. Each pipeline scenario measures itself against its floor. */
import type { Scenario } from './run';

export const SCENARIOS: Scenario[] = [];
