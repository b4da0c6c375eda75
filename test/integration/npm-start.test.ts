import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../scripts/local/services';
import { eventually } from './harness';

describe('npm start (the local stack as a user runs it)', () => {
  it('answers /health 200 with every dependency up, writes .hub/credentials.json, and stops on Ctrl-C', async () => {
    // Arrange
    const port = await freePort();
    const hubDir = mkdtempSync(join(tmpdir(), 'hub-start-'));
    const child = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/local/start.ts', '--in-memory'], {
      env: { ...process.env, PORT: String(port), HUB_DIR: hubDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

    try {
      // Act
      const health = await eventually(async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/health`);
          return response.status === 200 ? ((await response.json()) as { status: string; dependencies: Record<string, string> }) : undefined;
        } catch {
          return undefined;
        }
      }, 60_000, `the local stack on port ${port}`);

      // Assert
      expect(health.status).toBe('ok');
      expect(Object.values(health.dependencies).every((state) => state === 'up')).toBe(true);
      const credentials = JSON.parse(readFileSync(join(hubDir, 'credentials.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(credentials).sort()).toEqual(
        ['abTastyToken', 'apiKey', 'consoleAdminKey', 'currentsToken', 'dataImportKey', 'heapWebhookSecret', 'partnerApiKey', 'partnerName', 'segmentToken', 'workspaceId'].sort(),
      );
      // The banner with the credentials follows right after the server starts listening.
      await eventually(() => Promise.resolve(output.includes(credentials.apiKey ?? '<none>') ? true : undefined), 10_000, 'the printed credentials');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(hubDir, 'runtime.json'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
