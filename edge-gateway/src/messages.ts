import { DeviceClick } from '@hexcast/core';
import { DEVICE_ACK_STATUSES } from '@hexcast/mobile-sdk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** One location fix as a device sends it. */
export const FixSchema = Type.Object(
  {
    lat: Type.Number(),
    lng: Type.Number(),
    /** Horizontal accuracy, metres. */
    accuracy: Type.Number({ minimum: 0, maximum: 100_000 }),
    /** Device time of the fix, epoch ms. */
    ts: Type.Integer({ minimum: 0 }),
    /** Metres per second. */
    speed: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000 })),
  },
  { additionalProperties: false },
);
export type Fix = Static<typeof FixSchema>;

/** `hx/d/{id}/loc`: a batch of fixes, oldest first. */
export const LocationBatchSchema = Type.Object(
  { fixes: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: false },
);

/** `hx/d/{id}/ev`: a clickstream event: `device.click`'s fields without the device id, plus its time. */
const { deviceId: _deviceId, ...clickFields } = DeviceClick.schema.properties;
export const ClickSchema = Type.Object(
  { ...clickFields, ts: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type Click = Static<typeof ClickSchema>;

/** `hx/d/{id}/ack`: the app's own receipts for an inbox item. */
export const DeviceAckSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    status: Type.Union(DEVICE_ACK_STATUSES.map((s) => Type.Literal(s))),
    ts: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type DeviceAck = Static<typeof DeviceAckSchema>;

export const checkFix = TypeCompiler.Compile(FixSchema);
export const checkBatch = TypeCompiler.Compile(LocationBatchSchema);
export const checkClick = TypeCompiler.Compile(ClickSchema);
export const checkAck = TypeCompiler.Compile(DeviceAckSchema);

export type { InboxMessage } from '@hexcast/mobile-sdk/protocol';
