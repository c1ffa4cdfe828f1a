import { HexcastError } from '../errors/index.js';

/**
 * Runs a listen and turns a port that cannot be bound (in use, not allowed) into one coded error
 * naming the port and the variable that sets it, so start-up stops with a line a person can act on.
 */
export async function listenOn<T>(port: number, variable: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw cause;
    const why =
      code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : 'is not available';
    throw new HexcastError('HX_LISTEN_FAILED', `port ${port} ${why}: set ${variable} to another`, {
      details: { port, variable },
      cause,
    });
  }
}
