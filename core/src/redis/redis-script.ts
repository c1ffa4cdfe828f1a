import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** A Lua script from a capability's own `lua/` folder, run by SHA with a fallback to EVAL. */
export class RedisScript {
  readonly source: string;
  readonly #keys: number | 'variadic';
  #sha: string | undefined;

  /**
   * `file`: the script, or its files in order (functions first: Redis runs one source, so a
   * function two scripts share is a file both list). `keys`: how many keys every call passes, or
   * `variadic` for scripts that take a list.
   */
  constructor(file: URL | readonly URL[], keys: number | 'variadic') {
    this.source = (Array.isArray(file) ? file : [file]).map((f) => readFileSync(f, 'utf8')).join('\n');
    this.#keys = keys;
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.#keys !== 'variadic' && keys.length !== this.#keys)
      throw new Error(`script expects ${this.#keys} keys, got ${keys.length}`);
    if (this.#sha === undefined) this.#sha = (await redis.script('LOAD', this.source)) as string;
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      this.#sha = (await redis.script('LOAD', this.source)) as string;
      return redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    }
  }
}
