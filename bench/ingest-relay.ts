/**
 * The ingest benchmark's baseline, in its own process: a bare aedes broker relaying QoS1
 * publishes (`relay`), or the subscriber it relays to (`sink <url>`). No auth, no validation.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const [mode, url] = process.argv.slice(2);
if (mode === 'relay') {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ msg: 'relay listening', url: `mqtt://127.0.0.1:${address.port}` }));
  process.on('SIGTERM', () => {
    server.close();
    aedes.close(() => process.exit(0));
  });
} else if (mode === 'sink' && url !== undefined) {
  const client = await mqtt.connectAsync(url, { clientId: 'bench-sink', protocolVersion: 4 });
  await client.subscribeAsync('hx/d/+/loc', { qos: 1 });
  let received = 0;
  client.on('message', () => received++);
  console.log(JSON.stringify({ msg: 'sink subscribed' }));
  process.on('SIGTERM', () => {
    console.error(`sink received ${received}`);
    void client.endAsync().then(() => process.exit(0));
  });
} else {
  console.error('usage: ingest-relay.ts relay | sink <url>');
  process.exit(2);
}
