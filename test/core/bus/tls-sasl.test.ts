import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Broker,
  BusProducer,
  busSecurity,
  createEventRegistry,
  createKafka,
  ensureTopics,
  loadConfig,
  Metrics,
  ScramClient,
  ScramServer,
  scramCredential,
  silentLogger,
  WireProducer,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { metricValue } from '../../helpers/bus.js';
import { kcat } from '../../helpers/kcat.js';
import { waitFor } from '../../helpers/wait-for.js';

const TLS_DIR = path.resolve(import.meta.dirname, '../../fixtures/tls');
const pem = (name: string) => readFileSync(path.join(TLS_DIR, name), 'utf8');

describe('SCRAM (RFC 5802 / 7677), one implementation for both sides', () => {
  // RFC 7677 §3: user "user", password "pencil".
  const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');

  it('reproduces the RFC 7677 SCRAM-SHA-256 exchange, client and server', () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', clientNonce);
    const server = new ScramServer(
      'SCRAM-SHA-256',
      (user) => (user === 'user' ? scramCredential('SCRAM-SHA-256', 'pencil', 4096, salt) : undefined),
      () => serverNonce,
    );
    expect(client.first()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = server.first(client.first());
    expect(serverFirst).toBe(`r=${clientNonce}${serverNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`);
    const clientFinal = client.final(serverFirst);
    expect(clientFinal).toBe(
      `c=biws,r=${clientNonce}${serverNonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`,
    );
    const { serverFinal, user } = server.final(clientFinal);
    expect(serverFinal).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(user).toBe('user');
    expect(() => client.verify(serverFinal)).not.toThrow();
  });

  it('refuses a wrong password, an unknown user, a replayed nonce and a forged server (SCRAM-SHA-512)', () => {
    const credential = scramCredential('SCRAM-SHA-512', 'right', 4096);
    const lookup = (user: string) => (user === 'a,b=c' ? credential : undefined);
    const exchange = (user: string, password: string) => {
      const client = new ScramClient('SCRAM-SHA-512', user, password);
      const server = new ScramServer('SCRAM-SHA-512', lookup);
      const final = client.final(server.first(client.first()));
      return { client, server, final };
    };
    // A user name with the characters SCRAM escapes.
    const ok = exchange('a,b=c', 'right');
    expect(ok.server.final(ok.final).user).toBe('a,b=c');
    const wrong = exchange('a,b=c', 'wrong');
    expect(() => wrong.server.final(wrong.final)).toThrow(/invalid credentials/);
    const unknown = exchange('nobody', 'right');
    expect(() => unknown.server.final(unknown.final)).toThrow(/invalid credentials/);
    const replayed = exchange('a,b=c', 'right');
    const other = new ScramServer('SCRAM-SHA-512', lookup);
    other.first(new ScramClient('SCRAM-SHA-512', 'a,b=c', 'right').first());
    expect(() => other.final(replayed.final)).toThrow(/nonce/);
    // A server that does not hold the credential cannot produce the signature the client checks.
    const forged = exchange('a,b=c', 'right');
    expect(() => forged.client.verify(`v=${Buffer.alloc(64).toString('base64')}`)).toThrow(/signature/);
  });
});

describe('the bus over TLS and SASL against the embedded broker (TLS listener, SCRAM and PLAIN users)', () => {
  let broker: Broker;
  const users = { alice: 'alice-secret', 'svc:weird': 'p:a,ss=word' };
  const tls = { ca: pem('ca.pem') };

  beforeAll(async () => {
    broker = await startBroker({
      tls: { port: 0, cert: pem('broker.pem'), key: pem('broker-key.pem') },
      saslUsers: users,
      defaultPartitions: 3,
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  const producer = (options: Partial<ConstructorParameters<typeof WireProducer>[0]> = {}) =>
    new WireProducer({
      brokers: [broker.tlsBootstrap!],
      clientId: 'tls-test',
      tls,
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: users.alice },
      retries: 0,
      requestTimeoutMs: 5_000,
      ...options,
    });

  it('produces with WireProducer (SCRAM-SHA-256) and consumes in a kafkajs group (SCRAM-SHA-512), all over TLS', async () => {
    const wire = producer();
    await wire.connect();
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i % 7}`,
      value: Buffer.from(`v${i}`),
      timestamp: Date.now(),
    }));
    await wire.send(new Map([['tls-topic', records]]));
    await wire.disconnect();

    const kafka = kafkaFor(broker.tlsBootstrap!, {
      ssl: tls,
      sasl: { mechanism: 'scram-sha-512', username: 'svc:weird', password: users['svc:weird'] },
    });
    const consumer = kafka.consumer({ groupId: 'tls-group', maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'tls-topic', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await waitFor(() => seen.length === 30);
    await consumer.disconnect();
    expect(seen.sort()).toEqual(records.map((r) => String(r.value)).sort());
  });

  it('takes PLAIN credentials too (a kafkajs producer and WireProducer)', async () => {
    const kafka = kafkaFor(broker.tlsBootstrap!, {
      ssl: tls,
      sasl: { mechanism: 'plain', username: 'alice', password: users.alice },
    });
    const kjs = kafka.producer();
    await kjs.connect();
    await kjs.send({ topic: 'plain-topic', messages: [{ key: 'a', value: 'one' }] });
    await kjs.disconnect();
    const wire = producer({ sasl: { mechanism: 'PLAIN', username: 'alice', password: users.alice } });
    await wire.connect();
    await wire.send(
      new Map([['plain-topic', [{ key: 'b', value: Buffer.from('two'), timestamp: Date.now() }]]]),
    );
    await wire.disconnect();
    expect(broker.topics.get('plain-topic')!.partitions.reduce((n, p) => n + p.logEndOffset, 0)).toBe(2);
  });

  it('a wrong password is HX_BUS_AUTH_FAILED naming the cause, for WireProducer and for the kafkajs side of the runtime', async () => {
    const failed = await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
      reason: 'authentication-failed',
    });
    const wire = producer({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'nope' } });
    await expect(wire.connect()).rejects.toMatchObject({
      code: 'HX_BUS_AUTH_FAILED',
      message: expect.stringMatching(
        /refused SASL authentication: .*invalid credentials with SASL mechanism SCRAM-SHA-256/,
      ),
    });
    await wire.disconnect();

    // What a process does at start: the topic catalogue check with the configured kafkajs client.
    const config = loadConfig({
      env: {
        KAFKA_BROKERS: broker.tlsBootstrap,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: path.join(TLS_DIR, 'ca.pem'),
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'alice',
        KAFKA_SASL_PASSWORD: 'nope',
      },
    });
    const kafka = createKafka({ config, logger: silentLogger() });
    await expect(
      ensureTopics(kafka, [{ name: 'x', partitions: 1 } as never], [broker.tlsBootstrap!]),
    ).rejects.toMatchObject({
      code: 'HX_BUS_AUTH_FAILED',
    });
    expect(
      await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
        reason: 'authentication-failed',
      }),
    ).toBeGreaterThanOrEqual(failed + 2);
  });

  it('a mechanism the broker does not enable is HX_BUS_AUTH_FAILED listing what it offers', async () => {
    const strict = await startBroker({ saslUsers: users, saslMechanisms: ['SCRAM-SHA-512'] });
    try {
      const wire = new WireProducer({
        brokers: [strict.bootstrap],
        clientId: 't',
        sasl: { mechanism: 'PLAIN', username: 'alice', password: users.alice },
        retries: 0,
      });
      await expect(wire.connect()).rejects.toMatchObject({
        code: 'HX_BUS_AUTH_FAILED',
        message: expect.stringContaining('PLAIN is not enabled (the broker offers SCRAM-SHA-512)'),
      });
    } finally {
      await strict.close();
    }
  });

  it('a client without credentials is closed at its first request, and told why', async () => {
    const before = await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
      reason: 'unauthenticated',
    });
    const wire = new WireProducer({ brokers: [broker.tlsBootstrap!], clientId: 't', tls, retries: 0 });
    await expect(wire.connect()).rejects.toMatchObject({
      code: 'HX_BUS_PRODUCE_FAILED',
      message: expect.stringMatching(/closed the connection before answering.*SASL/),
    });
    expect(
      await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
        reason: 'unauthenticated',
      }),
    ).toBe(before + 1);
    // The kafkajs side of a process (the topic catalogue check at start): the same, coded.
    const config = loadConfig({
      env: {
        KAFKA_BROKERS: broker.tlsBootstrap,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: path.join(TLS_DIR, 'ca.pem'),
      },
    });
    await expect(
      ensureTopics(
        createKafka({ config, logger: silentLogger() }),
        [{ name: 'x', partitions: 1 } as never],
        [broker.tlsBootstrap!],
      ),
    ).rejects.toMatchObject({
      code: 'HX_BUS_CONNECT_FAILED',
      message: expect.stringContaining('KAFKA_SASL_MECHANISM'),
    });
  });

  it('plaintext to the TLS listener is refused; a broker certificate from an untrusted CA is HX_BUS_TLS_FAILED', async () => {
    const before = await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
      reason: 'tls-handshake',
    });
    const plain = producer({ tls: undefined });
    await expect(plain.connect()).rejects.toMatchObject({
      message: expect.stringMatching(/closed the connection before answering.*TLS/),
    });
    await waitFor(
      async () =>
        (await metricValue(broker.metrics, 'hexcast_broker_rejected_connections_total', {
          reason: 'tls-handshake',
        })) > before,
    );
    const untrusted = producer({ tls: { ca: pem('other-ca.pem') } });
    await expect(untrusted.connect()).rejects.toMatchObject({
      code: 'HX_BUS_TLS_FAILED',
      message: expect.stringContaining('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    });
  });

  it('BusProducer and the kafkajs client take KAFKA_SSL* and KAFKA_SASL_* from config', async () => {
    const config = loadConfig({
      env: {
        KAFKA_BROKERS: broker.tlsBootstrap,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA: pem('ca.pem').replaceAll('\n', '\\n'), // inline PEM, as an env file holds it
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'alice',
        KAFKA_SASL_PASSWORD: users.alice,
      },
    });
    const registry = createEventRegistry();
    const bus = new BusProducer({
      brokers: config.kafka.brokers!,
      security: busSecurity(config),
      registry,
      metrics: new Metrics(),
      wire: { retries: 0 },
    });
    await bus.start();
    await bus.close();
    const { created } = await ensureTopics(
      createKafka({ config, logger: silentLogger() }),
      [{ name: 'from-config', partitions: 2, compacted: false } as never],
      config.kafka.brokers!,
    );
    expect(created).toEqual(['from-config']);
  });

  it('kcat (librdkafka) produces and consumes over SASL_SSL with SCRAM-SHA-256', async () => {
    const secure = [
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-256',
      '-X',
      'sasl.username=alice',
      '-X',
      `sasl.password=${users.alice}`,
      '-X',
      `ssl.ca.location=${path.join(TLS_DIR, 'ca.pem')}`,
    ];
    await kcat(broker.tlsBootstrap!, [...secure, '-P', '-t', 'kcat-tls', '-K:'], 'k1:one\nk2:two\n');
    const out = await kcat(broker.tlsBootstrap!, [
      ...secure,
      '-C',
      '-t',
      'kcat-tls',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%k=%s\\n',
    ]);
    expect(out.trim().split('\n').sort()).toEqual(['k1=one', 'k2=two']);
    await expect(
      kcat(
        broker.tlsBootstrap!,
        [...secure.slice(0, 6), '-X', 'sasl.password=nope', ...secure.slice(8), '-L'],
        '',
        8_000,
      ),
    ).rejects.toThrow(/Authentication failed|SASL/i);
  });
});
