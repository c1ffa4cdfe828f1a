import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in for X API v2's filtered stream, for the demo, the bench and the tests: the rules
// endpoint (GET, POST add/delete) and the stream endpoint, which holds each response open and
// writes one JSON object per line, with a blank keep-alive line on demand — X's wire format. It
// checks the bearer token like X does (401 without it).

export interface XRule {
  id: string;
  value: string;
  tag?: string;
}

export interface XTweetInput {
  id: string;
  text: string;
  authorId: string;
  username: string;
  followers: number;
  createdAt: number;
  lang?: string;
  likes?: number;
  retweets?: number;
  replies?: number;
  conversationId?: string;
  /** Rule tags that matched (default: every rule whose tag names a brand in the text, else the first rule). */
  tags?: string[];
}

export interface XStandIn {
  url: string;
  rules: XRule[];
  /** Open stream connections now. */
  readonly connections: number;
  /** Connections ever opened (a reconnect adds one). */
  readonly connects: number;
  /** Writes a tweet to every open stream; resolves false when none is open. */
  tweet(input: XTweetInput): boolean;
  /** Writes a raw line (malformed JSON, an operational message) to every open stream. */
  line(text: string): boolean;
  keepAlive(): void;
  /** Ends every open stream (X disconnecting): clients must reconnect. */
  disconnect(): void;
  /** Answers the next `count` stream requests with this HTTP status (429 for rate limits). */
  failNext(count: number, status: number): void;
  /** Resolves once at least `n` streams are open. */
  waitForConnections(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startXStandIn(options: { bearerToken: string; port?: number }): Promise<XStandIn> {
  const streams = new Set<ServerResponse>();
  const waiters = new Set<() => void>();
  const rules: XRule[] = [];
  let nextRule = 1;
  let connects = 0;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  const wake = () => {
    for (const w of waiters) w();
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      json(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/2/tweets/search/stream/rules') {
      if (req.method === 'GET') {
        json(res, 200, {
          data: rules.length === 0 ? undefined : rules,
          meta: { result_count: rules.length },
        });
        return;
      }
      const body = JSON.parse(await readBody(req)) as {
        add?: Array<{ value: string; tag?: string }>;
        delete?: { ids: string[] };
      };
      for (const r of body.add ?? [])
        rules.push({ id: String(nextRule++), value: r.value, ...(r.tag ? { tag: r.tag } : {}) });
      for (const id of body.delete?.ids ?? []) {
        const at = rules.findIndex((r) => r.id === id);
        if (at >= 0) rules.splice(at, 1);
      }
      json(res, 200, {
        meta: { summary: { created: body.add?.length ?? 0, deleted: body.delete?.ids.length ?? 0 } },
      });
      return;
    }
    if (url.pathname === '/2/tweets/search/stream' && req.method === 'GET') {
      if (failures.count > 0) {
        failures.count--;
        const reset = Math.floor(Date.now() / 1000) + 1;
        res.writeHead(failures.status, {
          'content-type': 'application/json',
          'x-rate-limit-reset': String(reset),
        });
        res.end(JSON.stringify({ title: 'Too Many Requests', status: failures.status }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write('\r\n');
      streams.add(res);
      connects++;
      wake();
      req.on('close', () => streams.delete(res));
      return;
    }
    json(res, 404, { title: 'Not Found', status: 404 });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const write = (line: string) => {
    for (const s of streams) s.write(`${line}\r\n`);
    return streams.size > 0;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    rules,
    get connections() {
      return streams.size;
    },
    get connects() {
      return connects;
    },
    tweet(t) {
      const lower = t.text.toLowerCase();
      const tags =
        t.tags ??
        (() => {
          const named = rules.filter(
            (r) => r.tag !== undefined && lower.includes(r.tag.split(':').at(-1)!.replace(/-/g, ' ')),
          );
          return (named.length > 0 ? named : rules.slice(0, 1)).map((r) => r.tag ?? '');
        })();
      return write(
        JSON.stringify({
          data: {
            id: t.id,
            text: t.text,
            author_id: t.authorId,
            created_at: new Date(t.createdAt).toISOString(),
            lang: t.lang ?? 'en',
            conversation_id: t.conversationId ?? t.id,
            public_metrics: {
              like_count: t.likes ?? 0,
              retweet_count: t.retweets ?? 0,
              reply_count: t.replies ?? 0,
              quote_count: 0,
            },
            edit_history_tweet_ids: [t.id],
          },
          includes: {
            users: [
              {
                id: t.authorId,
                username: t.username,
                name: t.username,
                public_metrics: { followers_count: t.followers },
              },
            ],
          },
          matching_rules: tags.map((tag) => ({ id: rules.find((r) => r.tag === tag)?.id ?? '0', tag })),
        }),
      );
    },
    line: write,
    keepAlive() {
      for (const s of streams) s.write('\r\n');
    },
    disconnect() {
      // What was written is sent first, as from a server closing the connection.
      for (const s of streams) s.end();
      streams.clear();
    },
    failNext(count, status) {
      failures = { count, status };
    },
    async waitForConnections(n) {
      while (streams.size < n) {
        await new Promise<void>((resolve) => {
          const w = () => {
            waiters.delete(w);
            resolve();
          };
          waiters.add(w);
        });
      }
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Every socket, the streams and a client's reconnect racing the close alike: nothing holds it open.
      server.closeAllConnections();
      for (const s of streams) s.destroy();
      await closed;
    },
  };
}
