import { describe, expect, it } from 'vitest';
import { hasService, useRedis } from './services.js';

describe.skipIf(!hasService('redis'))('redis test fixture', () => {
  it('gives a prefix of its own and deletes its keys on cleanup', async () => {
    const fixture = await useRedis();
    await fixture.client.set(`${fixture.prefix}a`, '1');
    await fixture.client.set(`${fixture.prefix}b`, '2');
    expect(await fixture.client.get(`${fixture.prefix}a`)).toBe('1');
    const probe = await useRedis();
    expect(probe.prefix).not.toBe(fixture.prefix);
    await fixture.cleanup();
    expect(await probe.client.exists(`${fixture.prefix}a`, `${fixture.prefix}b`)).toBe(0);
    await probe.cleanup();
  });
});
