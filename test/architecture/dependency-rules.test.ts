import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = ['core/src', 'edge-gateway/src', 'mobile-sdk/src', 'simulator/src', 'models/src'];

/** `npm run lint:deps` as the lint runs it, in `dir`: exit code and what it printed. */
async function cruise(dir: string): Promise<{ code: number; out: string }> {
  const bin = path.join(root, 'node_modules/.bin/depcruise');
  try {
    const { stdout } = await run(bin, ['--config', '.dependency-cruiser.cjs', ...SOURCES], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe('dependency rules (npm run lint:deps)', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'hx-deps-'));
    for (const dir of SOURCES) cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true });
    for (const file of ['.dependency-cruiser.cjs', 'tsconfig.base.json', 'package.json'])
      cpSync(path.join(root, file), path.join(copy, file));
    for (const pkg of ['core', 'edge-gateway', 'mobile-sdk', 'simulator', 'models'])
      cpSync(path.join(root, pkg, 'package.json'), path.join(copy, pkg, 'package.json'));
    // The copy's own node_modules: every installed package, but @hexcast/* pointing into the copy.
    const modules = path.join(copy, 'node_modules');
    mkdirSync(path.join(modules, '@hexcast'), { recursive: true });
    for (const entry of readdirSync(path.join(root, 'node_modules')))
      if (entry !== '@hexcast')
        symlinkSync(path.join(root, 'node_modules', entry), path.join(modules, entry));
    for (const pkg of ['core', 'edge-gateway', 'mobile-sdk', 'simulator', 'models'])
      symlinkSync(path.join(copy, pkg), path.join(modules, '@hexcast', pkg));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('passes on the tree as it is', async () => {
    const { code, out } = await cruise(root);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on each planted violation, naming the rule and the offending import', async () => {
    const plant = (file: string, text: string) => writeFileSync(path.join(copy, file), text);
    plant('core/src/geo/planted-a.ts', "import { b } from './planted-b.js';\nexport const a = () => b;\n");
    plant('core/src/geo/planted-b.ts', "import { a } from './planted-a.js';\nexport const b = () => a;\n");
    plant('core/src/offers/planted.ts', "export { MemoryFenceIndex } from '../geo/fence-index.memory.js';\n");
    // geo importing campaigns (which builds on geo): a cycle between the two folders.
    const processor = path.join(copy, 'core/src/geo/geo-processor.ts');
    writeFileSync(processor, `import '../campaigns/index.js';\n${readFileSync(processor, 'utf8')}`);
    plant('core/src/devices/planted-root.ts', "export { CAPABILITIES } from '../cli/capabilities.js';\n");
    plant('core/src/errors/planted.ts', "export { BusProducer } from '../bus/index.js';\n");
    plant('core/src/runtime/planted.ts', "export { geo } from '../geo/index.js';\n");
    plant('mobile-sdk/src/planted.ts', "export { HexcastError } from '../../core/src/errors/index.js';\n");
    plant('edge-gateway/src/planted.ts', "export { Ingest } from '../../core/src/geo/index.js';\n");

    const { code, out } = await cruise(copy);
    expect(code).not.toBe(0);
    const expected: Array<[string, string]> = [
      ['no-cycles', 'core/src/geo/planted-a.ts'],
      ['capability-internals', 'core/src/offers/planted.ts → core/src/geo/fence-index.memory.ts'],
      ['no-cycles', 'core/src/geo/geo-processor.ts'],
      ['no-composition-root-imports', 'core/src/devices/planted-root.ts → core/src/cli/capabilities.ts'],
      ['foundation-stays-down', 'core/src/errors/planted.ts → core/src/bus/index.ts'],
      ['runtime-knows-no-capability', 'core/src/runtime/planted.ts → core/src/geo/index.ts'],
      ['sdk-imports-no-server', 'mobile-sdk/src/planted.ts → core/src/errors/index.ts'],
      ['packages-through-their-face', 'edge-gateway/src/planted.ts → core/src/geo/index.ts'],
    ];
    for (const [rule, where] of expected) {
      const line = out.split('\n').find((l) => l.includes(`error ${rule}:`) && l.includes(where));
      expect(line, `${rule} reported for ${where}\n${out}`).toBeDefined();
    }
  });
});
