import type { Command } from 'commander';
import type { Component } from '../lifecycle/index.js';
import type { ServiceContext } from './context.js';

/**
 * What a package adds to the one `hexcast` CLI: its subcommands, and the components it runs in
 * `hexcast dev`. Packages that build on core (the edge gateway, the simulator) export one as
 * `@hexcast/<package>/cli`; the `hexcast` binary loads those installed.
 */
export interface CliPlugin {
  readonly name: string;
  readonly commands?: ReadonlyArray<(program: Command) => void>;
  readonly devComponents?: (ctx: ServiceContext) => Component[] | Promise<Component[]>;
}
