import type { Command } from 'commander';
import { registerApi } from './api.js';
import { registerBroker } from './broker.js';
import { registerDev } from './dev.js';
import { registerKeys } from './keys.js';
import { registerReplay } from './replay.js';
import { registerWorker } from './worker.js';

/** Every subcommand that works today; later capabilities add theirs here. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerDev,
  registerBroker,
  registerApi,
  registerWorker,
  registerKeys,
  registerReplay,
];
