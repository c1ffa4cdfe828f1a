import { hash } from 'node:crypto';
import {
  DELIVERY_EVENTS,
  DeliveryReceipt,
  DeviceClick,
  DeviceLocation,
  ENVELOPE_VERSION,
  type Envelope,
  type EventRegistry,
  latLngToCellFast,
  TOPICS,
} from '@hexcast/core';
import type { GatewayCode } from '@hexcast/mobile-sdk/protocol';
import type { PublishChannel } from './acl.js';
import { checkAck, checkBatch, checkClick, checkFix, type Fix } from './messages.js';

/**
 * Deterministic envelope id (SHA-1, base64url, 27 chars): a retransmitted message maps to the
 * same ids, so downstream idempotency absorbs QoS1 duplicates.
 */
function contentId(text: string): string {
  return hash('sha1', text, 'base64url');
}

/**
 * A location's envelope id: `loc.{deviceId}.{ts}` — one fix per device and millisecond, readable,
 * and no hashing on the hot path (SHA-1 was a fifth of the ingest's own time). Unambiguous: the
 * last dot-separated part is the integer time, and content ids (base64url) never contain a dot.
 * Ids too long for the envelope (device ids over 46 characters) fall back to the content id.
 */
export function locationId(deviceId: string, ts: number): string {
  const id = `loc.${deviceId}.${ts}`;
  return id.length <= MAX_ID_LENGTH ? id : contentId(`loc|${deviceId}|${ts}`);
}

/** The envelope's id limit (EnvelopeSchema). */
const MAX_ID_LENGTH = 64;

/** The H3 resolution the gateway stamps on each fix (≈ 0.1 km² cells). */
export const EDGE_H3_RESOLUTION = 9;

export interface IngestLimits {
  maxPayloadBytes: number;
  maxFixesPerBatch: number;
  maxClockSkewMs: number;
  maxFixAgeMs: number;
}

/** A bus record, encoded: the envelope's JSON text, keyed and timed as the producer sends it. */
export interface OutboundRecord {
  topic: string;
  key: string;
  /** The envelope as JSON (valid for its type: `registry.decode(value)` accepts it). */
  value: string;
  ts: number;
}

export interface Rejection {
  code: GatewayCode;
  reason: string;
}

export type IngestResult =
  | { ok: true; records: OutboundRecord[]; dropped: readonly Rejection[] }
  | { ok: false; rejection: Rejection; dropped: readonly Rejection[] };

/**
 * Turns one device message into encoded bus records, or says why not. Pure: no I/O, time passed
 * in. Envelope ids are derived from the content (device, time, …), so a QoS1 retransmission
 * after a lost PUBACK produces the same ids and downstream idempotency absorbs it.
 */
export class Ingest {
  /** What every location envelope from this gateway starts with (version, type, source). */
  readonly #locationHead: string;

  constructor(
    readonly registry: EventRegistry,
    readonly limits: IngestLimits,
    readonly source: { kind: 'gateway'; id: string; region: string },
  ) {
    for (const event of DELIVERY_EVENTS) if (!registry.has(event.type)) registry.register(event);
    // The source is checked once here, as the registry would check it in every envelope.
    const data = { deviceId: '-', lat: 0, lng: 0, accuracy: 0 };
    registry.validate({
      v: ENVELOPE_VERSION,
      id: '-',
      type: DeviceLocation.type,
      key: '-',
      ts: 0,
      source,
      data,
    });
    this.#locationHead = `{"v":${ENVELOPE_VERSION},"type":${JSON.stringify(DeviceLocation.type)},"source":${JSON.stringify(source)}`;
  }

  handle(deviceId: string, channel: PublishChannel, payload: Buffer, now: number): IngestResult {
    if (payload.length > this.limits.maxPayloadBytes) {
      return fail('HX_GATEWAY_PAYLOAD_TOO_LARGE', `payload is ${payload.length} bytes`);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return fail('HX_GATEWAY_PAYLOAD_INVALID', 'payload is not JSON');
    }
    switch (channel) {
      case 'loc':
        return this.#locations(deviceId, body, now);
      case 'ev':
        return this.#click(deviceId, body, now);
      case 'ack':
        return this.#ack(deviceId, body, now);
    }
  }

  #locations(deviceId: string, body: unknown, now: number): IngestResult {
    if (!checkBatch.Check(body)) return fail('HX_GATEWAY_PAYLOAD_INVALID', 'expected {"fixes":[…]}');
    if (body.fixes.length > this.limits.maxFixesPerBatch) {
      return fail('HX_GATEWAY_PAYLOAD_TOO_LARGE', `batch of ${body.fixes.length} fixes`);
    }
    const records: OutboundRecord[] = [];
    let dropped: Rejection[] | null = null;
    const quotedId = JSON.stringify(deviceId);
    for (const raw of body.fixes) {
      const problem = this.#fixProblem(raw, now);
      if (problem !== null) {
        dropped ??= [];
        dropped.push(problem);
        continue;
      }
      const fix = raw as Fix;
      records.push({
        topic: TOPICS.locations.name,
        key: deviceId,
        value: this.#locationText(deviceId, quotedId, fix),
        ts: fix.ts,
      });
    }
    if (records.length === 0) return { ok: false, rejection: dropped![0]!, dropped: dropped! };
    return { ok: true, records, dropped: dropped ?? NONE };
  }

  /**
   * A `device.location` envelope written as JSON text directly — the gateway's hot path, one per
   * fix. Valid by construction: the fix passed the same bounds as DeviceLocation's schema
   * (numbers finite), the device id is a string, the H3 cell and the content id are plain
   * ASCII; the ingest tests decode what it writes through the registry.
   */
  #locationText(deviceId: string, quotedId: string, fix: Fix): string {
    const id = locationId(deviceId, fix.ts);
    const h3 = latLngToCellFast(fix.lat, fix.lng, EDGE_H3_RESOLUTION);
    const speed = fix.speed === undefined ? '' : `,"speed":${fix.speed}`;
    return `${this.#locationHead},"id":"${id}","key":${quotedId},"ts":${fix.ts},"data":{"deviceId":${quotedId},"lat":${fix.lat},"lng":${fix.lng},"accuracy":${fix.accuracy},"h3":"${h3}"${speed}}}`;
  }

  #fixProblem(raw: unknown, now: number): Rejection | null {
    if (!checkFix.Check(raw))
      return { code: 'HX_GATEWAY_PAYLOAD_INVALID', reason: 'fix does not match the schema' };
    const { lat, lng, ts } = raw;
    if (
      !Number.isFinite(lat) ||
      !Number.isFinite(lng) ||
      lat < -90 ||
      lat > 90 ||
      lng < -180 ||
      lng > 180 ||
      (lat === 0 && lng === 0)
    ) {
      return { code: 'HX_GATEWAY_COORDINATES_INVALID', reason: `lat ${lat}, lng ${lng}` };
    }
    return this.#timeProblem(ts, now);
  }

  #timeProblem(ts: number, now: number): Rejection | null {
    if (ts > now + this.limits.maxClockSkewMs) {
      return { code: 'HX_GATEWAY_TIMESTAMP_INVALID', reason: `ts ${ts} is ${ts - now} ms in the future` };
    }
    if (ts < now - this.limits.maxFixAgeMs) {
      return { code: 'HX_GATEWAY_TIMESTAMP_INVALID', reason: `ts ${ts} is ${now - ts} ms old` };
    }
    return null;
  }

  #click(deviceId: string, body: unknown, now: number): IngestResult {
    if (!checkClick.Check(body)) return fail('HX_GATEWAY_PAYLOAD_INVALID', 'click does not match the schema');
    const late = this.#timeProblem(body.ts, now);
    if (late !== null) return { ok: false, rejection: late, dropped: NONE };
    const { ts, ...rest } = body;
    const envelope = this.registry.create(DeviceClick, {
      id: contentId(`ev|${deviceId}|${body.sessionId}|${ts}|${body.action}|${body.productId}`),
      key: deviceId,
      ts,
      source: this.source,
      data: { deviceId, ...rest },
    });
    return { ok: true, records: [this.#record(TOPICS.clicks.name, envelope)], dropped: NONE };
  }

  #ack(deviceId: string, body: unknown, now: number): IngestResult {
    if (!checkAck.Check(body)) return fail('HX_GATEWAY_PAYLOAD_INVALID', 'ack does not match the schema');
    const envelope = this.registry.create(DeliveryReceipt, {
      id: contentId(`ack|${deviceId}|${body.id}|${body.status}`),
      key: deviceId,
      ts: now,
      source: this.source,
      data: { itemId: body.id, deviceId, status: body.status, gateway: this.source.id },
    });
    return { ok: true, records: [this.#record(TOPICS.receipts.name, envelope)], dropped: NONE };
  }

  #record(topic: string, envelope: Envelope): OutboundRecord {
    return { topic, key: envelope.key, value: this.registry.encodeText(envelope), ts: envelope.ts };
  }
}

/** No fix dropped: shared, never written to. */
const NONE: readonly Rejection[] = Object.freeze([]);

function fail(code: GatewayCode, reason: string): IngestResult {
  return { ok: false, rejection: { code, reason }, dropped: NONE };
}
