import type { Command } from 'commander';
import { registerBroker } from './broker.js';
import { registerDev } from './dev.js';
import { registerReplay } from './replay.js';

/** Every subcommand that works today; later capabilities add theirs here. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerDev,
  registerBroker,
  registerReplay,
];
