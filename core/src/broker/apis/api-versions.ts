import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import type { ApiHandler } from '../context.js';
import { fetch, listOffsets } from './fetch.js';
import {
  describeGroups,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetFetch,
  syncGroup,
} from './groups.js';
import { createTopics, deleteTopics, metadata } from './metadata.js';
import { initProducerId, produce } from './produce.js';
import { saslAuthenticate, saslHandshake } from './sasl.js';

export interface ApiSpec {
  key: number;
  name: string;
  /** Advertised range; always starts at 0 (see KAFKA-PROTOCOL.md §1). */
  maxVersion: number;
  /** Lowest version this broker decodes; clients send the top of the shared range. */
  minImplemented: number;
  handler: ApiHandler;
}

export const API_VERSIONS_KEY = 18;
/** What a connection may ask before it has authenticated, when SASL is on. */
export const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([17, API_VERSIONS_KEY, 36]);
export const API_VERSIONS_MAX = 3;

/** ApiVersions v0–v3. v3 uses a flexible body; the response header is always v0. */
export const apiVersions: ApiHandler = (_ctx, r, header) => {
  const v = header.apiVersion;
  if (v >= 3) {
    r.compactNullableString(); // client_software_name
    r.compactNullableString(); // client_software_version
    r.skipTaggedFields();
  }
  const w = new Writer(512);
  w.int16(KafkaError.NONE);
  if (v >= 3) {
    w.uvarint(API_SPECS.length + 1);
    for (const api of API_SPECS) w.int16(api.key).int16(0).int16(api.maxVersion).uvarint(0);
    w.int32(0).uvarint(0); // throttle_time_ms, tagged fields
    return w;
  }
  w.array(API_SPECS, (w, api) => w.int16(api.key).int16(0).int16(api.maxVersion));
  if (v >= 1) w.int32(0);
  return w;
};

/** An ApiVersions request at a version above ours: error 35 in a v0-shaped body listing our range. */
export function unsupportedApiVersionsResponse(): Writer {
  return new Writer()
    .int16(KafkaError.UNSUPPORTED_VERSION)
    .array([0], (w) => w.int16(API_VERSIONS_KEY).int16(0).int16(API_VERSIONS_MAX));
}

export const API_SPECS: readonly ApiSpec[] = [
  { key: 0, name: 'Produce', maxVersion: 7, minImplemented: 3, handler: produce },
  { key: 1, name: 'Fetch', maxVersion: 11, minImplemented: 4, handler: fetch },
  { key: 2, name: 'ListOffsets', maxVersion: 3, minImplemented: 1, handler: listOffsets },
  { key: 3, name: 'Metadata', maxVersion: 6, minImplemented: 0, handler: metadata },
  { key: 8, name: 'OffsetCommit', maxVersion: 5, minImplemented: 2, handler: offsetCommit },
  { key: 9, name: 'OffsetFetch', maxVersion: 4, minImplemented: 1, handler: offsetFetch },
  { key: 10, name: 'FindCoordinator', maxVersion: 2, minImplemented: 0, handler: findCoordinator },
  { key: 11, name: 'JoinGroup', maxVersion: 5, minImplemented: 0, handler: joinGroup },
  { key: 12, name: 'Heartbeat', maxVersion: 3, minImplemented: 0, handler: heartbeat },
  { key: 13, name: 'LeaveGroup', maxVersion: 3, minImplemented: 0, handler: leaveGroup },
  { key: 14, name: 'SyncGroup', maxVersion: 3, minImplemented: 0, handler: syncGroup },
  { key: 15, name: 'DescribeGroups', maxVersion: 2, minImplemented: 0, handler: describeGroups },
  { key: 16, name: 'ListGroups', maxVersion: 2, minImplemented: 0, handler: listGroups },
  // v0 would carry the SASL tokens unframed after it: clients that know v1 use it.
  { key: 17, name: 'SaslHandshake', maxVersion: 1, minImplemented: 1, handler: saslHandshake },
  {
    key: API_VERSIONS_KEY,
    name: 'ApiVersions',
    maxVersion: API_VERSIONS_MAX,
    minImplemented: 0,
    handler: apiVersions,
  },
  { key: 19, name: 'CreateTopics', maxVersion: 3, minImplemented: 0, handler: createTopics },
  { key: 20, name: 'DeleteTopics', maxVersion: 1, minImplemented: 0, handler: deleteTopics },
  { key: 22, name: 'InitProducerId', maxVersion: 1, minImplemented: 0, handler: initProducerId },
  { key: 36, name: 'SaslAuthenticate', maxVersion: 1, minImplemented: 0, handler: saslAuthenticate },
];

export const API_BY_KEY: ReadonlyMap<number, ApiSpec> = new Map(API_SPECS.map((a) => [a.key, a]));
