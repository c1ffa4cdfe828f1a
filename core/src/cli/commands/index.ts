import type { Command } from 'commander';
import { registerApi } from './api.js';
import { registerAudit } from './audit.js';
import { registerBroker } from './broker.js';
import { registerKeys } from './keys.js';
import { registerModel } from './model.js';
import { registerRecs } from './recs.js';
import { registerReplay } from './replay.js';
import { registerWorker } from './worker.js';

/** Core's own subcommands (`dev` is registered with the plugins; packages add theirs as plugins). */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerBroker,
  registerApi,
  registerWorker,
  registerKeys,
  registerReplay,
  registerModel,
  registerRecs,
  registerAudit,
];
