export { DEVICE_STATE, geo, LIVE_FENCES } from './capability.js';
export { CellTable } from './cell-table.js';
export {
  bbox,
  CELL_GRID,
  circleParams,
  encodePolygons,
  exactTest,
  gridMarks,
  haversineM,
  type ShapeTest,
} from './contains.js';
export {
  coverFence,
  type FenceCover,
  gridFrame,
  indexResolution,
  MAX_DIRECT_CELLS,
  resolutionFor,
} from './cover.js';
export { deviceStateStore } from './device-state.engine.js';
export type { DeviceGeoState, DevicePosition, DeviceStateStore, StateCommit } from './device-state.js';
export { MemoryDeviceStateStore } from './device-state.memory.js';
export { RedisDeviceStateStore } from './device-state.redis.js';
export { GEO_EVENTS, GeoDwell, GeoEnter, GeoEventDataSchema, GeoExit } from './events.js';
export type { FenceIndex } from './fence-index.js';
export { MemoryFenceIndex } from './fence-index.memory.js';
export { GeoProcessor, type GeoProcessorOptions, type LiveFences } from './geo-processor.js';
export { ancestorKey, cellTail, parentTail } from './h3-cells.js';
export { latLngToCellFast, latLngToCellTail } from './lat-lng-cell.js';
export {
  type CircleShape,
  type Fence,
  type FenceShape,
  FenceShapeSchema,
  type MultiPolygonShape,
  type PolygonShape,
} from './shapes.js';
export {
  advanceMembership,
  type FenceMembership,
  type FenceTiming,
  type GeoEventKind,
  type Membership,
  type MembershipEvent,
} from './transitions.js';
export { DEFAULT_FENCE_LIMITS, type FenceLimits, validateFenceShape } from './validate.js';
