import { type Component, ComponentGroup, closeWithin, HexcastError } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

function component(
  name: string,
  log: string[],
  behaviour: { failStart?: boolean; hangClose?: boolean } = {},
) {
  return {
    name,
    async start() {
      if (behaviour.failStart) throw new Error(`${name} failed`);
      log.push(`start ${name}`);
    },
    close() {
      log.push(`close ${name}`);
      return behaviour.hangClose ? new Promise<void>(() => undefined) : Promise.resolve();
    },
  } satisfies Component;
}

describe('lifecycle', () => {
  it('closes in reverse order of start', async () => {
    const log: string[] = [];
    const group = new ComponentGroup(1000);
    await group.start(component('a', log));
    await group.start(component('b', log));
    await group.close();
    expect(log).toEqual(['start a', 'start b', 'close b', 'close a']);
  });

  it('closes what started when a later start fails', async () => {
    const log: string[] = [];
    const group = new ComponentGroup(1000);
    await group.start(component('a', log));
    await expect(group.start(component('b', log, { failStart: true }))).rejects.toThrow('b failed');
    expect(log).toEqual(['start a', 'close a']);
  });

  it('gives up on a close that hangs past its deadline, and still closes the rest', async () => {
    const log: string[] = [];
    const group = new ComponentGroup(50);
    await group.start(component('a', log));
    await group.start(component('stuck', log, { hangClose: true }));
    const error = await group.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HexcastError);
    expect((error as HexcastError).code).toBe('HX_LIFECYCLE_CLOSE_TIMEOUT');
    expect(log).toContain('close a');
    await expect(closeWithin('fast', 50, async () => undefined)).resolves.toBeUndefined();
  });
});
