/**
 * What a location costs in sockets alone on this machine, with no MQTT and no work: each device on
 * its own TCP connection sends a 200-byte message (a fix) and gets a 4-byte acknowledgement (a
 * PUBACK's size) back, at a fixed rate. Run as a script it is the server (the gateway's side, in a
 * process of its own, as in split mode); `socketFloor` is the client (the load generator's side).
 * Plain `node:net` both ways: the least any Node gateway and load generator pay per fix here.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ACK = Buffer.from([0x40, 0x02, 0x00, 0x01]);
const MESSAGE_BYTES = 200;

export interface SocketFloor {
  /** Server CPU µs per message (a read and an ack written): the gateway's side. */
  serverUsPerMessage: number;
  /** Client CPU µs per message (a write and an ack read): the load generator's side. */
  clientUsPerMessage: number;
  messages: number;
  connections: number;
  rate: number;
}

if (process.argv[2] === 'serve') {
  let received = 0;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    // Counted by bytes: two messages a read apart may arrive in one, and each is acknowledged
    // (the client waits for every ack).
    let partial = 0;
    socket.on('data', (chunk: Buffer) => {
      partial += chunk.length;
      const messages = Math.floor(partial / MESSAGE_BYTES);
      if (messages === 0) return;
      partial -= messages * MESSAGE_BYTES;
      received += messages;
      socket.write(messages === 1 ? ACK : Buffer.concat(Array(messages).fill(ACK)));
    });
    socket.on('error', () => undefined);
  });
  let from: NodeJS.CpuUsage | undefined;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => {
    if (line.startsWith('start')) {
      from = process.cpuUsage();
      received = 0;
      return;
    }
    const used = process.cpuUsage(from);
    process.stdout.write(`${JSON.stringify({ received, us: used.user + used.system })}\n`);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
}

/** The server in a process of its own, `connections` clients here, `rate` messages a second for `seconds`. */
export async function socketFloor(options: {
  connections: number;
  rate: number;
  seconds: number;
}): Promise<SocketFloor> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const line = await lines.next();
    if (line.done === true) throw new Error('the socket-floor server exited');
    return JSON.parse(line.value) as Record<string, number>;
  };
  const sockets: Socket[] = [];
  try {
    const { port } = await nextLine();
    for (let i = 0; i < options.connections; i++)
      sockets.push(
        await new Promise<Socket>((resolve, reject) => {
          const s = connect(port!, '127.0.0.1', () => resolve(s));
          s.setNoDelay(true);
          s.once('error', reject);
        }),
      );
    let acked = 0;
    let allAcked: (() => void) | null = null;
    const total = options.rate * options.seconds;
    for (const s of sockets)
      s.on('data', (chunk: Buffer) => {
        acked += chunk.length / ACK.length;
        if (acked >= total) allAcked?.();
      });
    const message = Buffer.alloc(MESSAGE_BYTES, 0x61);
    child.stdin!.write('start\n');
    const from = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    // Open loop at the rate, device after device (each one message every connections/rate s).
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * options.rate));
      for (; sent < due; sent++) sockets[sent % sockets.length]!.write(message);
      await new Promise((r) => setTimeout(r, 1));
    }
    if (acked < total) await new Promise<void>((r) => (allAcked = r));
    const used = process.cpuUsage(from);
    child.stdin!.write('stop\n');
    const server = await nextLine();
    return {
      serverUsPerMessage: server.us! / server.received!,
      clientUsPerMessage: (used.user + used.system) / total,
      messages: total,
      connections: options.connections,
      rate: options.rate,
    };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill();
  }
}
