import net from 'node:net';

/**
 * A TCP proxy in front of the broker that swallows the response to the first request with a
 * given API key and then cuts the connection, so the client retries a request the broker has
 * already applied (the "lost ack" fault).
 */
export async function startLostAckProxy(target: { host: string; port: number }, apiKey: number) {
  let armed = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const pending = new Set<number>();
    let buffered = Buffer.alloc(0);
    client.on('data', (data) => {
      buffered = Buffer.concat([buffered, data]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        if (buffered.readInt16BE(4) === apiKey) pending.add(buffered.readInt32BE(8));
        buffered = buffered.subarray(4 + size);
      }
      upstream.write(data);
    });
    let response = Buffer.alloc(0);
    upstream.on('data', (data) => {
      response = Buffer.concat([response, data]);
      while (response.length >= 4 && response.length >= 4 + response.readInt32BE(0)) {
        const size = response.readInt32BE(0);
        const frame = response.subarray(0, 4 + size);
        response = response.subarray(4 + size);
        if (armed && pending.has(frame.readInt32BE(4))) {
          armed = false;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(frame);
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get fired() {
      return !armed;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
