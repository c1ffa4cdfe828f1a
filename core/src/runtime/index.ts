export type { Capability } from './capability.js';
export { ServiceContext, type Wiring } from './context.js';
export type { CliPlugin } from './plugin.js';
export { type Port, type Provided, type Provision, port, provide } from './ports.js';
export { runUntilSignal } from './run.js';
