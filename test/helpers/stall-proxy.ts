import net from 'node:net';
import type { Broker, BusProducerOptions } from '@hexcast/core';
import type { Kafka } from 'kafkajs';
import { kafkaFor } from './broker.js';

/**
 * A TCP proxy that can hold every response from upstream (the bus "falls behind") and let
 * them through later, or cut every connection (the bus is gone).
 */
export async function startStallProxy(target: { host: string; port: number }) {
  let holding = false;
  let refusing = false;
  const held: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    connections++;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => {
      if (holding) held.push(() => client.write(data));
      else client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    bootstrap: `127.0.0.1:${port}`,
    /** Connections accepted so far. */
    get connections(): number {
      return connections;
    },
    /** Bus producer settings whose every socket to the broker goes through this proxy. */
    producerVia(broker: Broker): Pick<BusProducerOptions, 'brokers' | 'wire'> {
      return {
        brokers: [`127.0.0.1:${port}`],
        wire: {
          retries: 2,
          retryBackoffMs: 50,
          requestTimeoutMs: 60_000,
          socketFactory: (host, target) =>
            net.connect({ host, port: target === broker.port ? port : target }),
        },
      };
    },
    /** A kafkajs client whose every socket to the broker goes through this proxy. */
    kafkaVia(broker: Broker): Kafka {
      return kafkaFor(`127.0.0.1:${port}`, {
        retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
        requestTimeout: 60_000,
        socketFactory: ({ host, port: target, onConnect }) =>
          net.connect({ host, port: target === broker.port ? port : target }, onConnect),
      });
    },
    hold(): void {
      holding = true;
    },
    release(): void {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    /** Closes every connection and refuses new ones until `restore`. */
    cut(): void {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore(): void {
      refusing = false;
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
