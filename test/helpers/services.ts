import { randomBytes } from 'node:crypto';
import { PgRecords } from '@hexcast/core';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { inject } from 'vitest';

/** True when the service answered the run's probe; CI fails the run earlier if it did not. */
export function hasService(name: 'redis' | 'postgres' | 'mariadb'): boolean {
  return inject('services')[name].available;
}

export interface RedisFixture {
  client: Redis;
  /** Every key this suite writes starts with this (hash-tag free, so scripts may add their own). */
  prefix: string;
  cleanup(): Promise<void>;
}

/** A Redis connection and a key prefix of the suite's own; cleanup deletes the prefix's keys. */
export async function useRedis(): Promise<RedisFixture> {
  const client = new Redis(inject('services').redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const prefix = `hxtest:${randomBytes(6).toString('hex')}:`;
  return {
    client,
    prefix,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}

export interface PostgresFixture {
  pool: pg.Pool;
  /** A fresh schema; the pool's search_path points at it. */
  schema: string;
  url: string;
  cleanup(): Promise<void>;
}

/** A pool on a fresh schema of its own; cleanup drops the schema. */
export async function usePostgres(): Promise<PostgresFixture> {
  const url = inject('services').postgres.url;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  return {
    pool,
    schema,
    url,
    async cleanup() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
}

export interface MariadbFixture {
  /** One `mysql://` URL per database, each a fresh database of its own. */
  urls: string[];
  cleanup(): Promise<void>;
}

/** `count` fresh MariaDB/MySQL databases (shards); cleanup drops them. */
export async function useMariadb(count: number): Promise<MariadbFixture> {
  const url = new URL(inject('services').mariadb.url);
  const base = `t_${randomBytes(6).toString('hex')}`;
  const names = Array.from({ length: count }, (_, i) => `${base}_${i}`);
  const admin = await mysql.createConnection({ uri: url.toString() });
  for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    urls: names.map((name) => {
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    }),
    async cleanup() {
      const c = await mysql.createConnection({ uri: url.toString() });
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** The records database on PostgreSQL, in a fresh schema of its own; cleanup closes it and drops the schema. */
export async function usePgRecords(max = 2): Promise<{ records: PgRecords; cleanup(): Promise<void> }> {
  const pg = await usePostgres();
  const records = new PgRecords(pg.url, { schema: pg.schema, max });
  return {
    records,
    async cleanup() {
      await records.close();
      await pg.cleanup();
    },
  };
}
