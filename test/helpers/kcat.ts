import { execFile } from 'node:child_process';

/** Runs kcat against a broker; rejects with its stderr on a non-zero exit. */
export function kcat(bootstrap: string, args: string[], input?: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kcat',
      ['-b', bootstrap, '-X', 'broker.address.family=v4', ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kcat ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input ?? '');
  });
}
