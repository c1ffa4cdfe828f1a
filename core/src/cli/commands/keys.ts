import type { Command } from 'commander';
import { ApiKeyRepository, ROLES, type Role } from '../../auth/index.js';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { createLogger } from '../../observability/index.js';
import { openRecords } from '../../records/index.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('create an API key; the token is printed once and stored only as a hash')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--name <name>', 'who or what uses it', 'cli')
    .action(async (opts: { role: string; name: string }) => {
      if (!ROLES.includes(opts.role as Role))
        throw new HexcastError('HX_CLI_USAGE', `--role must be one of ${ROLES.join(', ')}`);
      const config = loadConfig();
      const records = await openRecords(config, createLogger({ level: 'warn' }));
      try {
        const { identity, token } = await new ApiKeyRepository(records).create(opts.role as Role, opts.name);
        console.log(`id:    ${identity.id}\nrole:  ${identity.role}\ntoken: ${token}`);
      } finally {
        await records.close();
      }
    });
}
