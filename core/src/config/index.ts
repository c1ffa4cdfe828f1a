export { ENV_BINDINGS, type EnvBinding } from './env-map.js';
export { type DeepPartial, type LoadConfigOptions, loadConfig, readPem } from './load.js';
export { ConfigSchema, type HexcastConfig } from './schema.js';
export { dataDirSecret } from './secrets.js';
