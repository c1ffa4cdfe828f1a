#!/usr/bin/env node
// In a source checkout run the TypeScript directly (through tsx); an installed package runs dist/.
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

let useSource = existsSync(source);
if (useSource && !process.execArgv.some((a) => a.includes('tsx'))) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    useSource = false;
  }
}
// Plugin packages (@hexcast/edge-gateway/cli, …) resolve to their sources too.
if (useSource) registerHooks('./source-conditions.mjs', import.meta.url);
const { main } = await import(useSource ? source.href : built.href);
process.exitCode = await main(process.argv);
