import { request as httpRequest, type IncomingMessage } from 'node:http';

/** A Server-Sent Events client on a raw HTTP response: the frames it has read, as parsed events. */
export function sse(url: string, headers: Record<string, string>) {
  const events: Array<{ id: number; event: string; data: unknown }> = [];
  let response: IncomingMessage | undefined;
  const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } });
  const opened = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const frames = buffered.split('\n\n');
        buffered = frames.pop() ?? '';
        for (const frame of frames) {
          const fields = Object.fromEntries(
            frame
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          );
          if (fields.event !== undefined)
            events.push({
              id: Number(fields.id),
              event: fields.event,
              data: JSON.parse(fields.data ?? 'null'),
            });
        }
      });
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.end();
  const close = () => {
    response?.destroy();
    req.destroy();
  };
  return { events, opened, close };
}
