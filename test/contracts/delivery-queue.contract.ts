import type { DeliveryItem, DeliveryQueue } from '@hexcast/edge-gateway';
import { describe, expect, it } from 'vitest';
import { prng } from '../fixtures/random-fences.js';

export interface DeliveryQueueFixture {
  /** A queue bounded to `maxPerDevice` items per device. */
  impl: DeliveryQueue;
  maxPerDevice: number;
  cleanup(): Promise<void>;
}

const item = (id: string, deviceId: string, expiresAt: number): DeliveryItem => ({
  id,
  deviceId,
  expiresAt,
  payload: `{"id":"${id}"}`,
});

/** Every DeliveryQueue passes this. Time is a number passed in: no clock, no sleeping. */
export function deliveryQueueContract(name: string, factory: () => Promise<DeliveryQueueFixture>): void {
  describe(`DeliveryQueue contract: ${name}`, () => {
    it('hands items out in order, once, and never after their deadline', async () => {
      const f = await factory();
      const q = f.impl;
      expect(await q.enqueue(item('a', 'd1', 1000), 0)).toEqual({ accepted: true });
      expect(await q.enqueue(item('b', 'd1', 500), 0)).toEqual({ accepted: true });
      expect(await q.enqueue(item('c', 'd1', 2000), 0)).toEqual({ accepted: true });
      expect((await q.claim('d1', 100, 1)).map((i) => i.id)).toEqual(['a']);
      expect((await q.claim('d1', 100, 10)).map((i) => i.id)).toEqual(['b', 'c']);
      expect(await q.claim('d1', 100, 10)).toEqual([]);
      await q.release('d1');
      // b's deadline passed while it was away: it is not handed out again, and does not block c.
      expect((await q.claim('d1', 600, 10)).map((i) => i.id)).toEqual(['a', 'c']);
      await f.cleanup();
    });

    it('enqueueAndClaim queues, then claims the oldest (the new item among them) in one step; what it refuses claims nothing', async () => {
      const f = await factory();
      const q = f.impl;
      expect(await q.enqueue(item('a', 'd1', 1000), 0)).toEqual({ accepted: true });
      expect(await q.enqueue(item('late', 'd1', 50), 0)).toEqual({ accepted: true });
      // The queue's older items first; one past its deadline is skipped, not handed out.
      const first = await q.enqueueAndClaim(item('b', 'd1', 1000), 100, 1);
      expect(first.accepted && first.claimed.map((i) => i.id)).toEqual(['a']);
      const second = await q.enqueueAndClaim(item('c', 'd1', 1000), 100, 5);
      expect(second.accepted && second.claimed).toEqual([item('b', 'd1', 1000), item('c', 'd1', 1000)]);
      expect(await q.enqueueAndClaim(item('c', 'd1', 1000), 100, 5)).toEqual({
        accepted: false,
        reason: 'duplicate',
      });
      expect(await q.enqueueAndClaim(item('gone', 'd1', 100), 100, 5)).toEqual({
        accepted: false,
        reason: 'expired-on-arrival',
      });
      // What was claimed is in flight: acknowledged once, handed back by release.
      expect(await q.ack('d1', 'a', 100)).toBe(true);
      expect(await q.release('d1')).toBe(2);
      expect((await q.claim('d1', 100, 10)).map((i) => i.id)).toEqual(['b', 'c']);
      await f.cleanup();
    });

    it('refuses expired, duplicate and over-bound items with a reason', async () => {
      const f = await factory();
      const q = f.impl;
      expect(await q.enqueue(item('old', 'd1', 100), 100)).toEqual({
        accepted: false,
        reason: 'expired-on-arrival',
      });
      expect(await q.enqueue(item('x', 'd1', 1000), 0)).toEqual({ accepted: true });
      expect(await q.enqueue(item('x', 'd1', 1000), 0)).toEqual({ accepted: false, reason: 'duplicate' });
      for (let i = 1; i < f.maxPerDevice; i++) await q.enqueue(item(`f${i}`, 'd1', 1000), 0);
      expect(await q.enqueue(item('over', 'd1', 1000), 0)).toEqual({ accepted: false, reason: 'queue-full' });
      expect(await q.enqueue(item('other-device', 'd2', 1000), 0)).toEqual({ accepted: true });
      await f.cleanup();
    });

    it('purges expired items proactively, saying where they expired, and ignores late acks', async () => {
      const f = await factory();
      const q = f.impl;
      await q.enqueue(item('queued', 'd1', 100), 0);
      await q.enqueue(item('sent', 'd2', 100), 0);
      await q.enqueue(item('later', 'd2', 10_000), 0);
      await q.claim('d2', 50, 1);
      const purged = await q.purgeExpired(150, 100);
      expect(purged.map((p) => [p.item.id, p.where]).sort()).toEqual([
        ['queued', 'queue'],
        ['sent', 'in-flight'],
      ]);
      expect(await q.ack('d2', 'sent', 160)).toBe(false);
      expect(await q.size('d1')).toBe(0);
      expect(await q.size('d2')).toBe(1);
      await f.cleanup();
    });

    it('remembers ids after delivery, so a redelivered record is a duplicate', async () => {
      const f = await factory();
      const q = f.impl;
      await q.enqueue(item('once', 'd1', 1000), 0);
      await q.claim('d1', 10, 10);
      expect(await q.ack('d1', 'once', 20)).toBe(true);
      expect(await q.enqueue(item('once', 'd1', 1000), 30)).toEqual({ accepted: false, reason: 'duplicate' });
      expect(await q.size('d1')).toBe(0);
      await f.cleanup();
    });

    it('marks a queued item pushed once; a pushed item that times out expires "push"', async () => {
      const f = await factory();
      const q = f.impl;
      await q.enqueue(item('p', 'd1', 100), 0);
      await q.enqueue(item('sent', 'd2', 100), 0);
      await q.claim('d2', 1, 1);
      expect(await q.markPushed('d2', 'sent', 2)).toBeNull(); // in flight over MQTT: no push
      expect((await q.markPushed('d1', 'p', 2))?.pushed).toBe(true);
      expect(await q.markPushed('d1', 'p', 3)).toBeNull();
      expect(await q.markPushed('d1', 'missing', 3)).toBeNull();
      // Still deliverable over MQTT if the device comes back in time.
      expect((await q.claim('d1', 50, 10)).map((i) => i.id)).toEqual(['p']);
      await q.release('d1');
      const purged = await q.purgeExpired(100, 10);
      expect(purged.map((p) => [p.item.id, p.where]).sort()).toEqual([
        ['p', 'push'],
        ['sent', 'in-flight'],
      ]);
      await f.cleanup();
    });

    it('accounts for every item exactly once under random traffic', async () => {
      const f = await factory();
      const q = f.impl;
      const rand = prng(5);
      const accepted = new Set<string>();
      const terminal = new Map<string, string>();
      const mark = (id: string, outcome: string) => {
        expect(terminal.has(id), `${id} already ${terminal.get(id)}`).toBe(false);
        terminal.set(id, outcome);
      };
      let now = 0;
      for (let step = 0; step < 3000; step++) {
        now += Math.floor(rand() * 20);
        const device = `d${Math.floor(rand() * 5)}`;
        const op = rand();
        if (op < 0.45) {
          const id = `i${step}`;
          const next = item(id, device, now + Math.floor(rand() * 400));
          // Half the time the device is "connected here": what is queued is claimed with it.
          const result =
            rand() < 0.5
              ? { ...(await q.enqueue(next, now)), claimed: [] }
              : await q.enqueueAndClaim(next, now, 2);
          if (result.accepted) accepted.add(id);
          for (const claimed of result.accepted ? result.claimed : []) {
            expect(claimed.expiresAt).toBeGreaterThan(now);
            if (rand() < 0.8 && (await q.ack(device, claimed.id, now))) mark(claimed.id, 'delivered');
          }
        } else if (op < 0.7) {
          for (const claimed of await q.claim(device, now, 3)) {
            expect(claimed.expiresAt).toBeGreaterThan(now);
            if (rand() < 0.8 && (await q.ack(device, claimed.id, now))) mark(claimed.id, 'delivered');
          }
        } else if (op < 0.8) {
          await q.release(device);
        } else {
          for (const { item: expired, where } of await q.purgeExpired(now, 50))
            mark(expired.id, `expired:${where}`);
        }
      }
      for (const { item: expired, where } of await q.purgeExpired(Number.MAX_SAFE_INTEGER, 1_000_000))
        mark(expired.id, `expired:${where}`);
      expect([...terminal.keys()].sort()).toEqual([...accepted].sort());
      for (let d = 0; d < 5; d++) expect(await q.size(`d${d}`)).toBe(0);
      await f.cleanup();
    });
  });
}
