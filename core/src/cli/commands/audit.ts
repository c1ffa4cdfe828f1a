import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { AuditLog, assertChainsIntact } from '../../fraud/index.js';
import { createLogger } from '../../observability/index.js';
import { openRecords } from '../../records/index.js';
import { cliTable } from './table.js';

/** `hexcast audit verify | prune`: the fraud audit log's hash chains. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description("check and prune the fraud audit log's hash chains");

  audit
    .command('verify')
    .description("walk every merchant's chain (or one); exit 1 naming the first row that breaks it")
    .option('--merchant <id>', 'one merchant only')
    .option('--json', 'print the reports as JSON', false)
    .action(async (o: { merchant?: string; json: boolean }) => {
      const records = await openRecords(loadConfig(), createLogger({ level: 'warn' }));
      try {
        const reports = await new AuditLog(records).verify(o.merchant);
        if (o.json) process.stdout.write(`${JSON.stringify(reports)}\n`);
        else {
          const table = cliTable(['merchant', 'rows', 'chain']);
          for (const r of reports)
            table.push([
              r.merchantId,
              r.rows.toLocaleString('en-US'),
              r.ok ? 'intact' : `BROKEN at ${r.broken!.seq}: ${r.broken!.why}`,
            ]);
          process.stdout.write(`${table.toString()}\n`);
        }
        assertChainsIntact(reports);
      } finally {
        await records.close();
      }
    });

  audit
    .command('prune')
    .description('drop whole months before a date (retention); each chain keeps its last hash as its anchor')
    .requiredOption('--before <yyyy-mm>', 'drop months that end on or before the first day of this month')
    .action(async (o: { before: string }) => {
      if (!/^\d{4}-\d{2}$/.test(o.before))
        throw new HexcastError('HX_CLI_USAGE', '--before takes a month: 2026-09');
      const records = await openRecords(loadConfig(), createLogger({ level: 'warn' }));
      try {
        const dropped = await new AuditLog(records).prune(new Date(`${o.before}-01T00:00:00Z`));
        process.stdout.write(dropped.length === 0 ? 'nothing to prune\n' : `dropped ${dropped.join(', ')}\n`);
      } finally {
        await records.close();
      }
    });
}
