// A ConsumerRunner in a child process, for tests that kill it mid-effect (SIGKILL: no close, no
// commit). argv: bootstrap, topic, groupId, the envelope id whose effect never completes.
// Reports over IPC: {started: id} when a handler begins, {effect: id} when its effect is done.
import { BusProducer, ConsumerRunner, createEventRegistry, Metrics, silentLogger } from '@hexcast/core';
import { kafkaFor } from './broker.js';

const [bootstrap, topic, groupId, hangOn] = process.argv.slice(2) as [string, string, string, string];
const registry = createEventRegistry();
const metrics = new Metrics();
const producer = new BusProducer({ brokers: [bootstrap], registry, metrics });
await producer.start();
const runner = new ConsumerRunner({
  kafka: kafkaFor(bootstrap),
  registry,
  metrics,
  logger: silentLogger(),
  producer,
  groupId,
  topics: [topic],
  stage: 'crash',
  maxWaitTimeMs: 100,
  // The successor waits for this member's session to lapse before it gets the partitions.
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 200,
  handler: async (envelope) => {
    process.send?.({ started: envelope.id });
    if (envelope.id === hangOn) await new Promise(() => undefined); // the process dies in here
    process.send?.({ effect: envelope.id });
  },
});
await runner.start();
process.send?.({ ready: true });
