import Table from 'cli-table3';

/** A CLI table; with no terminal on stdout (a pipe, a file, CI) it carries no ANSI colour codes. */
export function cliTable(head: string[]): InstanceType<typeof Table> {
  return new Table({ head, ...(process.stdout.isTTY === true ? {} : { style: { head: [], border: [] } }) });
}
