import { seededRandom } from '@hexcast/models';
import {
  type BrowsingState,
  CATEGORY_NAMES,
  loadCity,
  SessionBrowsing,
  VirtualDevice,
} from '@hexcast/simulator';
import { describe, expect, it } from 'vitest';

const session = (id: string, ...items: string[]) => ({ id, items, times: items.map((_, i) => i) });
/** Four sessions: a starts three of them, e one; a → b twice and a → c once; b → c and b → d; f, d and c lead nowhere. */
const LOG = [
  session('1', 'a', 'b', 'c'),
  session('2', 'a', 'b', 'd'),
  session('3', 'e', 'f'),
  session('4', 'a', 'c'),
];
const NEXT: Record<string, string[]> = { a: ['b', 'c'], b: ['c', 'd'], e: ['f'] };

/** `count` clicks from a fresh start, split into the sessions they made. */
function browse(browsing: SessionBrowsing, count: number, seed: number): string[][] {
  const random = seededRandom(seed);
  const sessions: string[][] = [];
  let state: BrowsingState | null = null;
  for (let i = 0; i < count; i++) {
    const next = browsing.click(state, random);
    if (state === null || state.left <= 0) sessions.push([]);
    sessions[sessions.length - 1]!.push(next.productId);
    state = next;
  }
  return sessions.slice(0, -1); // the last one may be cut short
}

const share = (values: string[], value: string) => values.filter((v) => v === value).length / values.length;

describe("SessionBrowsing: simulated clicks along a click log's sessions", () => {
  it('starts sessions where the log does, as often; gives them its lengths; moves along its transitions as often as it does', () => {
    const browsing = SessionBrowsing.fromSessions(LOG);
    expect(browsing.items).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const sessions = browse(browsing, 20_000, 7);
    expect(sessions.length).toBeGreaterThan(5_000);
    const firsts = sessions.map((s) => s[0]!);
    expect(new Set(firsts)).toEqual(new Set(['a', 'e']));
    expect(share(firsts, 'a')).toBeCloseTo(0.75, 1);
    const lengths = sessions.map((s) => String(s.length));
    expect(new Set(lengths)).toEqual(new Set(['2', '3']));
    expect(share(lengths, '3')).toBeCloseTo(0.5, 1);
    // Each step follows the log: to an item that followed this one there, or, from an item that
    // nothing followed, to any item by its clicks (c: 2 of 10 clicks).
    const after = new Map<string, string[]>();
    for (const s of sessions)
      for (let i = 1; i < s.length; i++) after.set(s[i - 1]!, [...(after.get(s[i - 1]!) ?? []), s[i]!]);
    for (const [from, to] of after)
      if (NEXT[from] !== undefined) expect(NEXT[from]).toEqual(expect.arrayContaining([...new Set(to)]));
    expect(share(after.get('a')!, 'b')).toBeCloseTo(2 / 3, 1);
    expect(share(after.get('b')!, 'd')).toBeCloseTo(0.5, 1);
    expect(after.get('e')).toEqual(after.get('e')!.map(() => 'f'));
    expect(share(after.get('c')!, 'a')).toBeCloseTo(0.3, 1);
    expect(share(after.get('c')!, 'e')).toBeCloseTo(0.1, 1);
  });

  it('gives each item one of the demo city’s categories, the same every time; refuses a log with no session', () => {
    const browsing = SessionBrowsing.fromSessions(LOG);
    for (const item of browsing.items) {
      expect(CATEGORY_NAMES).toContain(browsing.category(item));
      expect(browsing.category(item)).toBe(SessionBrowsing.fromSessions(LOG).category(item));
    }
    const many = SessionBrowsing.fromSessions([
      session('x', ...Array.from({ length: 200 }, (_, i) => `p${i}`)),
    ]);
    expect(new Set(many.items.map((i) => many.category(i))).size).toBe(CATEGORY_NAMES.length);
    expect(() => SessionBrowsing.fromSessions([session('empty')])).toThrow(/no session/);
  });

  it('a virtual device given a log clicks along it: views of its items, in their categories', async () => {
    const browsing = SessionBrowsing.fromSessions(LOG);
    const tracked: Array<{ productId: string; action: string; category?: string }> = [];
    let now = Date.UTC(2026, 11, 7, 12);
    const device = new VirtualDevice('d1', loadCity('paris'), 3, {
      client: () => {
        throw new Error('not started');
      },
      mode: 'continuous',
      browsing,
      onCoupon: () => undefined,
      redeem: async () => undefined,
      now: () => now,
      localHourDow: () => ({ hour: 12, dow: 1 }),
    });
    device.client = {
      trackLocation: async () => undefined,
      track: async (click: { productId: string; action: string; category?: string }) => {
        tracked.push(click);
      },
    } as unknown as VirtualDevice['client'];
    for (let i = 0; i < 400; i++) {
      now += 1000;
      await device.tick(0, 1e9); // a click every tick
    }
    expect(tracked.length).toBe(400);
    expect(device.clicks).toBe(400);
    for (const click of tracked) {
      expect(browsing.items).toContain(click.productId);
      expect(click).toEqual({
        productId: click.productId,
        action: 'view',
        category: browsing.category(click.productId),
      });
    }
    // Along the log: from a, b or e, the next click is what followed it there, or a new session's
    // first (a or e).
    for (let i = 1; i < tracked.length; i++) {
      const from = tracked[i - 1]!.productId;
      if (NEXT[from] !== undefined) expect([...NEXT[from], 'a', 'e']).toContain(tracked[i]!.productId);
    }
  });
});
