import { HexcastError } from '../errors/index.js';

/** Every long-lived component: `start()` acquires, `close()` releases timers, sockets and listeners. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Whether it can do its work now (a feed has caught up, a listener is bound): `/readyz`. */
  ready?(): boolean;
}

/** `/readyz` checks for the components that say when they are ready. */
export function readinessChecks(components: Iterable<Component>): Record<string, () => boolean> {
  const checks: Record<string, () => boolean> = {};
  for (const c of components) {
    const ready = c.ready;
    if (ready !== undefined) checks[c.name] = () => ready.call(c);
  }
  return checks;
}

/** Runs `close` but gives up after `deadlineMs` with a coded, retriable error. */
export async function closeWithin(
  name: string,
  deadlineMs: number,
  close: () => Promise<void>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HexcastError('HX_LIFECYCLE_CLOSE_TIMEOUT', `${name} did not close within ${deadlineMs} ms`),
        ),
      deadlineMs,
    );
    timer.unref();
  });
  try {
    await Promise.race([close(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts components in order and closes them in reverse. If one fails to start, those already
 * started are closed before the error is rethrown.
 */
export class ComponentGroup {
  readonly #started: Component[] = [];

  constructor(readonly deadlineMs: number) {}

  async start(component: Component): Promise<void> {
    try {
      await component.start();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
    this.#started.push(component);
  }

  /** Closes every started component, newest first; reports the first failure after trying all. */
  async close(): Promise<void> {
    let firstError: unknown;
    while (this.#started.length > 0) {
      const component = this.#started.pop()!;
      try {
        await closeWithin(component.name, this.deadlineMs, () => component.close());
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}
