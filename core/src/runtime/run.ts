import type { HexcastConfig } from '../config/index.js';
import { type Component, ComponentGroup } from '../lifecycle/index.js';
import type { Logger } from '../observability/index.js';

/**
 * Starts components, then waits for SIGINT/SIGTERM and closes them within the configured
 * deadline. A second signal exits at once.
 */
export async function runUntilSignal(
  config: Readonly<HexcastConfig>,
  logger: Logger,
  components: Component[],
): Promise<void> {
  const group = new ComponentGroup(config.shutdownDeadlineMs);
  for (const component of components) {
    await group.start(component);
    logger.info({ component: component.name }, 'started');
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      group
        .close()
        .catch((error: unknown) => logger.error({ err: error }, 'shutdown incomplete'))
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
