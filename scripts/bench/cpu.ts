/**
 * CPU seconds spent by this process (the hub: HTTP, pollers, workers, the SQS emulator) and by the
 * DynamoDB Local JVM (a descendant `java` process, read from /proc), so a scenario can say whether
 * its time went to DynamoDB's work or to the hub's. The JVM is found only when the run started it
 * (`npm run bench`; not when a test hands it running services) and only on Linux: else `dynamo` is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  readonly hub: number;
  readonly dynamo?: number;
}

const TICKS_PER_SECOND = 100;

/** pid → [parent pid, command name, user+system ticks] for every readable process. */
const processTable = (): Map<number, { ppid: number; comm: string; ticks: number }> => {
  const table = new Map<number, { ppid: number; comm: string; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return table;
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      table.set(Number(name), { ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while we read.
    }
  }
  return table;
};

const descendsFrom = (table: ReturnType<typeof processTable>, pid: number, ancestor: number): boolean => {
  for (let current = table.get(pid)?.ppid; current !== undefined && current > 1; current = table.get(current)?.ppid) if (current === ancestor) return true;
  return false;
};

export const sampleCpu = (): CpuSample => {
  const usage = process.cpuUsage();
  const table = processTable();
  const jvms = [...table].filter(([pid, entry]) => entry.comm === 'java' && descendsFrom(table, pid, process.pid));
  const hub = (usage.user + usage.system) / 1e6;
  if (jvms.length === 0) return { hub };
  return { hub, dynamo: jvms.reduce((sum, [, entry]) => sum + entry.ticks, 0) / TICKS_PER_SECOND };
};

/** CPU seconds between two samples, rounded to 0.1 s. */
const tenths = (seconds: number) => Math.round(seconds * 10) / 10;

export const cpuBetween = (from: CpuSample, to: CpuSample): CpuSample => ({
  hub: tenths(to.hub - from.hub),
  ...(from.dynamo !== undefined && to.dynamo !== undefined ? { dynamo: tenths(to.dynamo - from.dynamo) } : {}),
});
