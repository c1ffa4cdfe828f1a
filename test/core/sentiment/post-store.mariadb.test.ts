import { MysqlPostStore, shardOf } from '@hexcast/core';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { postStoreContract, socialPost } from '../../contracts/post-store.contract.js';
import { hasService, useMariadb } from '../../helpers/services.js';

describe.skipIf(!hasService('mariadb'))('mariadb', () => {
  postStoreContract('MariaDB, sharded over two databases', async () => {
    const db = await useMariadb(2);
    const impl = await MysqlPostStore.open(db.urls);
    return {
      impl,
      cleanup: async () => {
        await impl.close();
        await db.cleanup();
      },
    };
  });

  it('puts each post in the shard of its (channel, post id) hash, both shards used', async () => {
    const db = await useMariadb(2);
    const store = await MysqlPostStore.open(db.urls);
    try {
      const posts = Array.from({ length: 40 }, (_, i) => socialPost('x', `s${i}`));
      await store.upsert(
        posts.map((post) => ({ post, score: { compound: 0, label: 'neutral', modelVersion: 'm' }, now: 1 })),
      );
      const counts = await Promise.all(
        db.urls.map(async (uri) => {
          const c = await mysql.createConnection({ uri });
          const [rows] = await c.query('SELECT post_id FROM social_posts');
          await c.end();
          return (rows as Array<{ post_id: string }>).map((r) => r.post_id);
        }),
      );
      for (const [shard, ids] of counts.entries())
        for (const id of ids) expect(shardOf('x', id, 2)).toBe(shard);
      expect(counts[0]!.length + counts[1]!.length).toBe(40);
      expect(counts[0]!.length).toBeGreaterThan(5);
      expect(counts[1]!.length).toBeGreaterThan(5);
      await expect(MysqlPostStore.open(['postgres://x'])).rejects.toMatchObject({
        code: 'HX_POSTS_DB_URL_INVALID',
      });
    } finally {
      await store.close();
      await db.cleanup();
    }
  });
});
