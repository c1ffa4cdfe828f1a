import { type Benchmark, createEventRegistry, DeviceLocation, median, opsPerSecond } from '@hexcast/core';

/** Cost of validated envelope encode+decode against bare JSON stringify+parse of the same object. */
const bench: Benchmark = {
  name: 'envelope',
  description: 'envelope encode+decode with schema validation vs bare JSON round trip',
  baseline: 'json-roundtrip',
  primary: { metric: 'ops_per_s', higherIsBetter: true },
  async run(context) {
    const registry = createEventRegistry();
    const envelope = registry.create(DeviceLocation, {
      key: 'device-1',
      source: { kind: 'gateway', id: 'gw-1', region: 'eu' },
      data: { deviceId: 'device-1', lat: 52.52, lng: 13.405, accuracy: 8, speed: 1.2, h3: '891f1d48177ffff' },
      ttlMs: 60_000,
    });
    const rounds = context.quick ? 3 : 9;
    context.progress('json-roundtrip');
    const json = opsPerSecond(() => JSON.parse(Buffer.from(JSON.stringify(envelope)).toString()), { rounds });
    context.progress('validated-roundtrip');
    const validated = opsPerSecond(() => registry.decode(registry.encode(envelope)), { rounds });
    return [
      { case: 'json-roundtrip', metrics: { ops_per_s: median(json) }, rounds: json },
      { case: 'validated-roundtrip', metrics: { ops_per_s: median(validated) }, rounds: validated },
    ];
  },
};

export default bench;
