import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../core/bin/hexcast.js', import.meta.url));

/** Runs `hexcast broker` in its own process and resolves once it listens, with its bootstrap address. */
export async function spawnBroker(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ bootstrap: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, 'broker', ...args], {
    env: { ...process.env, HX_HTTP_PORT: '0', HX_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      for (const line of text.split('\n')) {
        if (!line.includes('broker listening')) continue;
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve((JSON.parse(line) as { bootstrap: string }).bootstrap);
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
  return {
    bootstrap,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
