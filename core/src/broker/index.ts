export { API_SPECS, type ApiSpec } from './apis/api-versions.js';
export { Broker, type BrokerOptions, brokerOptionsFromConfig } from './broker.js';
export type { JoinRequest, JoinResponse, SyncResponse } from './groups/coordinator.js';
export { OffsetStore } from './groups/offset-store.js';
export { type LogSettings, PartitionLog } from './log/partition-log.js';
export { DiskSegmentFile } from './log/segment-file.js';
