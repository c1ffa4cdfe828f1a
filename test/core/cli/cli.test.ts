import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../../../core/bin/hexcast.js', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../../core/package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('hexcast CLI', () => {
  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [bin, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('lists its commands in --help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: hexcast');
    expect(stdout).toContain('dev');
  });

  it('exits non-zero on an unknown command', async () => {
    const error = (await run(process.execPath, [bin, 'teleport']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain("unknown command 'teleport'");
  });
});
