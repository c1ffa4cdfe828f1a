import type { DeliveryItem, DeliveryQueue, ExpiredItem, RejectReason } from './delivery-queue.js';

interface DeviceQueue {
  queued: DeliveryItem[];
  inFlight: Map<string, DeliveryItem>;
}

/**
 * In-process delivery queues. Expiry is proactive: a min-heap of deadlines (lazy deletion) lets
 * `purgeExpired` reclaim memory without waiting for the device.
 */
export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly #devices = new Map<string, DeviceQueue>();
  /** Ids of items queued or in flight, for duplicate detection and lazy heap deletion. */
  readonly #live = new Map<string, DeliveryItem>();
  readonly #heap: DeliveryItem[] = [];
  /** Every id seen, until `expiresAt + rememberMs`: a redelivered record is a duplicate, not a new item. */
  readonly #seen = new Map<string, number>();

  constructor(
    readonly maxPerDevice = 100,
    readonly maxItems = 1_000_000,
    readonly rememberMs = 3_600_000,
  ) {}

  async enqueue(
    item: DeliveryItem,
    now: number,
  ): Promise<{ accepted: true } | { accepted: false; reason: RejectReason }> {
    if (this.#seen.has(item.id)) return { accepted: false, reason: 'duplicate' };
    this.#seen.set(item.id, item.expiresAt + this.rememberMs);
    if (item.expiresAt <= now) return { accepted: false, reason: 'expired-on-arrival' };
    const device = this.#device(item.deviceId);
    if (
      device.queued.length + device.inFlight.size >= this.maxPerDevice ||
      this.#live.size >= this.maxItems
    ) {
      return { accepted: false, reason: 'queue-full' };
    }
    item = { ...item };
    device.queued.push(item);
    this.#live.set(item.id, item);
    this.#push(item);
    return { accepted: true };
  }

  async enqueueAndClaim(
    item: DeliveryItem,
    now: number,
    max: number,
  ): Promise<{ accepted: true; claimed: DeliveryItem[] } | { accepted: false; reason: RejectReason }> {
    const result = await this.enqueue(item, now);
    return result.accepted ? { accepted: true, claimed: await this.claim(item.deviceId, now, max) } : result;
  }

  async claim(deviceId: string, now: number, max: number): Promise<DeliveryItem[]> {
    const device = this.#devices.get(deviceId);
    if (device === undefined) return [];
    const claimed: DeliveryItem[] = [];
    const kept: DeliveryItem[] = [];
    for (const item of device.queued) {
      // Never handed out after its deadline: it stays for purgeExpired to account for.
      if (claimed.length < max && item.expiresAt > now) {
        device.inFlight.set(item.id, item);
        claimed.push(item);
      } else kept.push(item);
    }
    device.queued = kept;
    return claimed;
  }

  async ack(deviceId: string, itemId: string, now: number): Promise<boolean> {
    const device = this.#devices.get(deviceId);
    const item = device?.inFlight.get(itemId);
    if (device === undefined || item === undefined || item.expiresAt <= now) return false;
    device.inFlight.delete(itemId);
    this.#live.delete(itemId);
    this.#gc(deviceId, device);
    return true;
  }

  async release(deviceId: string): Promise<number> {
    const device = this.#devices.get(deviceId);
    if (device === undefined || device.inFlight.size === 0) return 0;
    const back = [...device.inFlight.values()];
    device.inFlight.clear();
    device.queued.unshift(...back);
    return back.length;
  }

  async markPushed(deviceId: string, itemId: string, now: number): Promise<DeliveryItem | null> {
    const item = this.#live.get(itemId);
    const device = this.#devices.get(deviceId);
    if (item === undefined || device === undefined || item.pushed || item.expiresAt <= now) return null;
    if (device.inFlight.has(itemId)) return null;
    item.pushed = true;
    return { ...item };
  }

  async purgeExpired(now: number, limit: number): Promise<ExpiredItem[]> {
    this.#forget(now);
    const out: ExpiredItem[] = [];
    while (out.length < limit && this.#heap.length > 0 && this.#heap[0]!.expiresAt <= now) {
      const item = this.#pop();
      if (this.#live.get(item.id) !== item) continue; // already delivered or purged
      const device = this.#devices.get(item.deviceId)!;
      let where: ExpiredItem['where'] = 'queue';
      if (device.inFlight.delete(item.id)) where = 'in-flight';
      else {
        device.queued.splice(device.queued.indexOf(item), 1);
        if (item.pushed) where = 'push';
      }
      this.#live.delete(item.id);
      this.#gc(item.deviceId, device);
      out.push({ item, where });
    }
    return out;
  }

  async size(deviceId: string): Promise<number> {
    const device = this.#devices.get(deviceId);
    return device === undefined ? 0 : device.queued.length + device.inFlight.size;
  }

  #forget(now: number): void {
    // Insertion order is roughly deadline order; stop at the first id still remembered.
    for (const [id, until] of this.#seen) {
      if (until > now && this.#seen.size <= this.maxItems * 4) break;
      this.#seen.delete(id);
    }
  }

  #device(deviceId: string): DeviceQueue {
    let device = this.#devices.get(deviceId);
    if (device === undefined) {
      device = { queued: [], inFlight: new Map() };
      this.#devices.set(deviceId, device);
    }
    return device;
  }

  #gc(deviceId: string, device: DeviceQueue): void {
    if (device.queued.length === 0 && device.inFlight.size === 0) this.#devices.delete(deviceId);
  }

  #push(item: DeliveryItem): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.expiresAt <= heap[i]!.expiresAt) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #pop(): DeliveryItem {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.expiresAt < heap[m]!.expiresAt) m = l;
        if (r < heap.length && heap[r]!.expiresAt < heap[m]!.expiresAt) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
