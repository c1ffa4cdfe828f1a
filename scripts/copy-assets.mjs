// tsc copies only what it compiles: put the Lua scripts (and the simulator's city presets) next to the compiled modules.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function copyLua(srcDir, distDir) {
  for (const name of readdirSync(srcDir)) {
    const from = path.join(srcDir, name);
    const to = path.join(distDir, name);
    if (statSync(from).isDirectory()) copyLua(from, to);
    else if (
      name.endsWith('.lua') ||
      (name.endsWith('.json') && from.includes(`${path.sep}cities${path.sep}`))
    )
      cpSync(from, to);
  }
}

for (const pkg of ['core', 'edge-gateway', 'models', 'simulator']) {
  if (existsSync(path.join(pkg, 'src'))) copyLua(path.join(pkg, 'src'), path.join(pkg, 'dist'));
}
