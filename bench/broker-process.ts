import type { ChildProcess } from 'node:child_process';
import { spawnHexcast } from './processes.js';

/** Runs `hexcast broker` in its own process and resolves once it listens, with its bootstrap address. */
export async function spawnBroker(
  args: string[],
  env: Record<string, string> = {},
): Promise<{
  bootstrap: string;
  child: ChildProcess;
  stop(): Promise<void>;
  rssBytes(): number;
  cpuMs(): number;
  mainThreadMs(): { runMs: number; waitMs: number };
}> {
  const service = await spawnHexcast<{ bootstrap: string }>(['broker', ...args], 'broker listening', env);
  return {
    bootstrap: service.ready.bootstrap,
    child: service.child,
    stop: service.stop,
    rssBytes: service.rssBytes,
    cpuMs: service.cpuMs,
    mainThreadMs: service.mainThreadMs,
  };
}
