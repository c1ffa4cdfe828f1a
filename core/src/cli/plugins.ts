import type { CliPlugin } from '../runtime/index.js';

/** The packages whose CLI plugins `hexcast` loads when they are installed. */
export const PLUGIN_PACKAGES = ['@hexcast/edge-gateway/cli', '@hexcast/simulator/cli'] as const;

export async function loadPlugins(
  packages: readonly string[] = PLUGIN_PACKAGES,
  load: (specifier: string) => Promise<unknown> = (specifier) => import(specifier),
): Promise<CliPlugin[]> {
  const plugins: CliPlugin[] = [];
  for (const specifier of packages) {
    let mod: { plugin?: CliPlugin };
    try {
      mod = (await load(specifier)) as { plugin?: CliPlugin };
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') continue; // not installed
      throw error;
    }
    if (mod.plugin !== undefined) plugins.push(mod.plugin);
  }
  return plugins;
}
