import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { HexcastError } from '../errors/index.js';
import { ENV_BINDINGS, type EnvBinding } from './env-map.js';
import { ConfigSchema, type HexcastConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A JSON file whose values sit under the env vars; defaults to `$HX_CONFIG_FILE`. */
  file?: string;
  /** Programmatic values; they win over the file and the environment. */
  overrides?: DeepPartial<HexcastConfig>;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Loads, validates once, applies defaults and freezes the configuration. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<HexcastConfig> {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env.HX_CONFIG_FILE;
  const fromFile = filePath === undefined || filePath === '' ? {} : readConfigFile(filePath);
  const merged = deepMerge(
    deepMerge(fromFile, readEnv(env)),
    (options.overrides ?? {}) as Record<string, unknown>,
  );

  const withDefaults = Value.Default(ConfigSchema, Value.Clone(merged));
  const firstError = Value.Errors(ConfigSchema, withDefaults).First();
  if (firstError !== undefined) {
    const path = firstError.path.split('/').filter(Boolean);
    const source = sourceOf(path, env, filePath);
    throw new HexcastError('HX_CONFIG_INVALID', `invalid configuration at ${source}: ${firstError.message}`, {
      details: { path: `/${path.join('/')}`, source },
    });
  }
  const config = withDefaults as HexcastConfig;
  if (config.broker.minSessionTimeoutMs > config.broker.maxSessionTimeoutMs) {
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      'broker.minSessionTimeoutMs exceeds broker.maxSessionTimeoutMs',
      {
        details: { path: '/broker/minSessionTimeoutMs', source: 'broker.minSessionTimeoutMs' },
      },
    );
  }
  const { tls } = config.broker;
  if (tls.port !== undefined && (tls.cert === undefined || tls.key === undefined))
    throw invalidPair('HX_BROKER_TLS_PORT', 'needs HX_BROKER_TLS_CERT and HX_BROKER_TLS_KEY');
  const { sasl, ssl } = config.kafka;
  if (sasl.mechanism !== undefined && (sasl.username === undefined || sasl.password === undefined))
    throw invalidPair('KAFKA_SASL_MECHANISM', 'needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  if ((ssl.cert === undefined) !== (ssl.key === undefined))
    throw invalidPair('KAFKA_SSL_CERT', 'KAFKA_SSL_CERT and KAFKA_SSL_KEY go together');
  return deepFreeze(config);
}

function invalidPair(variable: string, why: string): HexcastError {
  return new HexcastError('HX_CONFIG_INVALID', `invalid configuration at ${variable}: ${why}`, {
    details: { source: variable },
  });
}

/**
 * A PEM value from config: the PEM text itself (newlines may be written `\\n`, as env files do),
 * or the path of a file holding it.
 */
export function readPem(value: string | undefined, variable: string): string {
  if (value === undefined) throw invalidPair(variable, 'required');
  if (value.includes('-----BEGIN')) return value.replaceAll('\\n', '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (cause) {
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      `invalid configuration at ${variable}: cannot read ${value}`,
      {
        cause,
        details: { source: variable },
      },
    );
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new HexcastError('HX_CONFIG_FILE_UNREADABLE', `cannot read config file ${path}`, {
      cause,
      details: { file: path },
    });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (cause) {
    throw new HexcastError('HX_CONFIG_FILE_UNREADABLE', `config file ${path} is not a JSON object`, {
      cause,
      details: { file: path },
    });
  }
}

function readEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.variable];
    if (raw === undefined || raw === '') continue;
    setPath(out, binding.path, parseEnvValue(binding, raw.trim()));
  }
  return out;
}

function parseEnvValue(binding: EnvBinding, raw: string): unknown {
  switch (binding.parse) {
    case 'string':
      return raw;
    case 'lowercase':
      return raw.toLowerCase();
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw invalidVariable(binding.variable, 'must be an integer');
      return Number.parseInt(raw, 10);
    }
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw invalidVariable(binding.variable, 'must be a number');
      return Number(raw);
    }
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw invalidVariable(binding.variable, 'must be true or false');
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
}

function invalidVariable(variable: string, why: string): HexcastError {
  return new HexcastError('HX_CONFIG_INVALID', `invalid configuration at ${variable}: ${why}`, {
    details: { source: variable },
  });
}

/** Names the env variable behind a path when one set it, else the file key. */
function sourceOf(path: string[], env: Readonly<Record<string, string | undefined>>, file?: string): string {
  for (let len = path.length; len > 0; len--) {
    const prefix = path.slice(0, len).join('.');
    const binding = ENV_BINDINGS.find((b) => b.path.join('.') === prefix);
    if (binding !== undefined && env[binding.variable] !== undefined && env[binding.variable] !== '') {
      return binding.variable;
    }
  }
  return file === undefined ? path.join('.') : `${path.join('.')} (${file})`;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
    } else {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(top)) {
    if (v === undefined) continue;
    const current = out[k];
    out[k] = isPlainObject(current) && isPlainObject(v) ? deepMerge(current, v) : v;
  }
  return out;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
