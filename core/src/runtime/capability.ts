import type { ApiRoutes } from '../api/index.js';
import type { Component } from '../lifecycle/index.js';
import type { ServiceContext, Wiring } from './context.js';

/**
 * The one face every capability shows the composition root (`core/src/cli/capabilities.ts`):
 * the events it registers, the ports it provides to others, the worker `hexcast worker <name>`
 * runs, and the REST routes the API registers. A new pipeline is a folder exporting one of these
 * and one line in that list.
 */
export interface Capability extends Wiring {
  readonly name: string;
  /** The stream processors of `hexcast worker <name>` (and of `hexcast dev`). */
  readonly worker?: (ctx: ServiceContext) => Component[];
  /**
   * REST routes, registered behind the API's key auth, rate limit and coded errors. Called when
   * the API is built (use ports here); the plugin runs when the API starts (open records there).
   */
  readonly routes?: (ctx: ServiceContext) => ApiRoutes;
}
