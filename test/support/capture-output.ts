/**
 * Keeps everything the test process writes (stdout, stderr, console) in `captured`, so a suite can
 * search its logs for secrets at the end. Call inside `beforeAll`; jest restores the spies.
 */
export const captureProcessOutput = (captured: string[]): void => {
  const capture = (chunk: unknown) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void capture(args.map(String).join(' ')));
};
