/**
 * Compares recorded flips (the history table, or the published change events) with the reference
 * model's steps, per set and member. The hub records the flips it APPLIED: under reordering a
 * change that arrives after a newer one is stale and never applied, so an intermediate model flip
 * may be superseded (legitimately absent). What must hold whatever the delivery order:
 * - every record is a model flip: its version's receive time is a request that touched the member,
 *   `entered` only where that request added it, `exited` only where the member was out after it;
 * - records ordered by version alternate entered / exited starting with entered (a missing one
 *   between two of the same direction, or a leading `exited`, is a LOST flip);
 * - the last record is the model's final state (a member without a final `entered`, or a
 *   non-member whose last record is `entered`, is a LOST flip);
 * - a (version, direction) appears once; a second copy with another event id is DUPLICATED, with
 *   the same event id it is an at-least-once redelivery (allowed for events, counted apart).
 * Exact matches (a model flip recorded at its own request) and superseded model flips are counted
 * for the summary.
 */
import type { ModelStep } from './model';

export interface RecordedFlip {
  readonly version: string;
  readonly direction: 'entered' | 'exited';
  /** The event id (events); the history has one item per (version, direction) by key. */
  readonly id?: string;
}

export interface FlipCheck {
  lost: number;
  duplicated: number;
  /** Same event id delivered again (at-least-once). */
  redelivered: number;
  /** Model flips recorded at their own request's version. */
  exact: number;
  /** Model flips not recorded because a newer change was applied first (allowed). */
  superseded: number;
  readonly mismatches: { key: string; steps: readonly ModelStep[]; recorded: readonly RecordedFlip[] }[];
}

export const emptyCheck = (): FlipCheck => ({ lost: 0, duplicated: 0, redelivered: 0, exact: 0, superseded: 0, mismatches: [] });

const receivedMs = (version: string): number => Number(version.slice(0, 15));

/** One copy per (version, direction); counts the extra copies as redelivered (same id) or duplicated. */
const distinct = (recorded: readonly RecordedFlip[], into: FlipCheck): RecordedFlip[] => {
  const groups = new Map<string, RecordedFlip[]>();
  for (const flip of recorded) groups.set(`${flip.version}\u0000${flip.direction}`, [...(groups.get(`${flip.version}\u0000${flip.direction}`) ?? []), flip]);
  return [...groups.values()].map((copies) => {
    const ids = new Set(copies.map((copy) => copy.id));
    into.duplicated += ids.size - 1;
    into.redelivered += copies.length - ids.size;
    return copies[0] as RecordedFlip;
  });
};

/** Checks one member of one set; adds to `into`, returns whether it matched. */
const checkMember = (steps: readonly ModelStep[], recorded: readonly RecordedFlip[], into: FlipCheck): boolean => {
  const before = { lost: into.lost, duplicated: into.duplicated };
  const sorted = distinct(recorded, into).sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  let expected: RecordedFlip['direction'] = 'entered';
  let last: RecordedFlip['direction'] | undefined;
  for (const flip of sorted) {
    const step = steps.find((candidate) => candidate.ms === receivedMs(flip.version));
    const modelFlip = step !== undefined && (flip.direction === 'entered' ? step.added : !step.after);
    if (!modelFlip) {
      into.duplicated += 1;
      continue;
    }
    if (flip.direction !== expected) into.lost += 1;
    expected = flip.direction === 'entered' ? 'exited' : 'entered';
    last = flip.direction;
  }
  const finalMember = steps.at(-1)?.after ?? false;
  if (finalMember !== (last === 'entered')) into.lost += 1;
  let member = false;
  for (const step of steps) {
    if (step.after === member) continue;
    member = step.after;
    const direction = member ? 'entered' : 'exited';
    if (sorted.some((flip) => flip.direction === direction && receivedMs(flip.version) === step.ms)) into.exact += 1;
    else into.superseded += 1;
  }
  return into.lost === before.lost && into.duplicated === before.duplicated;
};

/** Checks every member the model or the records name (`memberKey` keys). */
export const checkFlips = (steps: ReadonlyMap<string, readonly ModelStep[]>, recorded: ReadonlyMap<string, readonly RecordedFlip[]>, into: FlipCheck = emptyCheck()): FlipCheck => {
  for (const key of new Set([...steps.keys(), ...recorded.keys()])) {
    const ok = checkMember(steps.get(key) ?? [], recorded.get(key) ?? [], into);
    if (!ok) into.mismatches.push({ key, steps: steps.get(key) ?? [], recorded: recorded.get(key) ?? [] });
  }
  return into;
};

/** Adds `value` to the list at `key`. */
export const push = <T>(map: Map<string, T[]>, key: string, value: T): void => {
  map.set(key, [...(map.get(key) ?? []), value]);
};
