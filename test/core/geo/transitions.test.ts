import { advanceMembership, type Membership } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

const timing = () => ({ dwellMs: 60_000, exitDebounceMs: 30_000 });

/** Feeds a sequence of (ts, inside?) fixes for one fence; returns the events by kind. */
function walk(fixes: Array<[number, boolean]>) {
  let membership: Membership = {};
  const events: string[] = [];
  for (const [ts, inside] of fixes) {
    const step = advanceMembership(membership, new Set(inside ? ['F'] : []), ts, timing);
    membership = step.membership;
    events.push(...step.events.map((e) => `${e.kind}@${ts}`));
  }
  return { events, membership };
}

describe('fence membership transitions', () => {
  it('walk in, stay, walk out: enter, dwell, exit once each', () => {
    const s = 1000;
    const { events } = walk([
      [0, false],
      [10 * s, true],
      [40 * s, true],
      [70 * s, true],
      [100 * s, true],
      [130 * s, false],
      [170 * s, false],
    ]);
    expect(events).toEqual([`enter@${10 * s}`, `dwell@${70 * s}`, `exit@${170 * s}`]);
  });

  it('jitter at the edge while entering and leaving adds no events', () => {
    const s = 1000;
    const { events } = walk([
      [0, true],
      [5 * s, false],
      [6 * s, true],
      [7 * s, false],
      [8 * s, true],
      [100 * s, true],
      [101 * s, false],
      [102 * s, true],
      [103 * s, false],
      [150 * s, false],
      [151 * s, true], // a stray fix soon after the exit
      [152 * s, false],
    ]);
    expect(events).toEqual(['enter@0', `dwell@${100 * s}`, `exit@${150 * s}`]);
  });

  it('a real return after the cooldown is a new visit', () => {
    const s = 1000;
    const { events } = walk([
      [0, true],
      [10 * s, false],
      [45 * s, false],
      [100 * s, true],
    ]);
    expect(events).toEqual(['enter@0', `exit@${45 * s}`, `enter@${100 * s}`]);
  });

  it('forgets fences once the cooldown after an exit is over', () => {
    const s = 1000;
    const { membership } = walk([
      [0, true],
      [10 * s, false],
      [45 * s, false],
      [80 * s, false],
    ]);
    expect(membership).toEqual({});
  });
});
