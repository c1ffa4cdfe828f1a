import { readFile } from 'node:fs/promises';
import { HexcastError } from '../../errors/index.js';

/** Reads a data file and parses it; an unreadable or malformed file is `HX_CLI_USAGE` naming it. */
export async function readDataFile<T>(file: string | URL, parse: (text: string) => T): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new HexcastError('HX_CLI_USAGE', `cannot read ${String(file)}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return parse(text);
  } catch (cause) {
    throw new HexcastError('HX_CLI_USAGE', `${String(file)}: ${(cause as Error).message}`, { cause });
  }
}
