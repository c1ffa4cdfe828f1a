import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isHexcastError } from '../errors/index.js';
import type { CliPlugin } from '../runtime/index.js';
import { registerDev } from './commands/dev.js';
import { COMMANDS } from './commands/index.js';
import { loadPlugins } from './plugins.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(plugins: readonly CliPlugin[] = []): Command {
  const program = new Command('hexcast')
    .description('Hexcast: real-time push and geofencing on a Kafka stream core')
    .version(version(), '-v, --version')
    .showHelpAfterError()
    // A command's options are its own: `simulate payments --rate` is the subcommand's --rate.
    .enablePositionalOptions()
    .exitOverride();
  registerDev(program, plugins);
  for (const register of COMMANDS) register(program);
  for (const plugin of plugins) for (const register of plugin.commands ?? []) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], plugins?: readonly CliPlugin[]): Promise<number> {
  const program = buildProgram(plugins ?? (await loadPlugins()));
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isHexcastError(error)) {
      console.error(`${error.code}: ${error.message}`);
      return 1;
    }
    console.error(error);
    return 1;
  }
}
