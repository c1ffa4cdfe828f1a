import type { Command } from 'commander';
import { registerDev } from './dev.js';

/** Every subcommand that works today; later capabilities add theirs here. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [registerDev];
