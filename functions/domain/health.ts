/** Health: every dependency is probed in parallel; the hub is healthy only if all answer. */
export type Probe = () => Promise<void>;

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly dependencies: Record<string, 'up' | 'down'>;
}

/** Runs every probe (each bounded by `timeoutMs`) and reports which are up. */
export const checkHealth = async (probes: Record<string, Probe>, timeoutMs = 2000): Promise<HealthReport> => {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      });
      try {
        await Promise.race([probe(), timeout]);
        return [name, 'up'] as const;
      } catch {
        return [name, 'down'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  return { status: entries.every(([, state]) => state === 'up') ? 'ok' : 'degraded', dependencies };
};
