import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import { type ApiHandler, responseWriter } from '../context.js';
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
  /** First flexible version (KIP-482: compact encodings, tagged fields, request header v2). */
  flexibleFrom: number;
  handler: ApiHandler;
}

export const API_VERSIONS_KEY = 18;
/** `flexibleFrom` of an API with no flexible version. */
const NEVER = 0x7fff;
/** What a connection may ask before it has authenticated, when SASL is on. */
export const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([17, API_VERSIONS_KEY, 36]);
export const API_VERSIONS_MAX = 3;

/** ApiVersions v0–v3. v3 has a flexible body; its response header stays v0 (the connection's concern). */
export const apiVersions: ApiHandler = (_ctx, r, header) => {
  if (header.apiVersion >= 3) {
    r.nullableString(); // client_software_name
    r.nullableString(); // client_software_version
  }
  const w = responseWriter(header, 512).int16(KafkaError.NONE);
  w.structs(API_SPECS, (w, api) => w.int16(api.key).int16(0).int16(api.maxVersion));
  if (header.apiVersion >= 1) w.int32(0); // throttle_time_ms
  return w;
};

/** An ApiVersions request at a version above ours: error 35 in a v0-shaped body listing our range. */
export function unsupportedApiVersionsResponse(): Writer {
  return new Writer()
    .int16(KafkaError.UNSUPPORTED_VERSION)
    .array([0], (w) => w.int16(API_VERSIONS_KEY).int16(0).int16(API_VERSIONS_MAX));
}

export const API_SPECS: readonly ApiSpec[] = [
  { key: 0, name: 'Produce', maxVersion: 10, minImplemented: 3, flexibleFrom: 9, handler: produce },
  { key: 1, name: 'Fetch', maxVersion: 16, minImplemented: 4, flexibleFrom: 12, handler: fetch },
  { key: 2, name: 'ListOffsets', maxVersion: 8, minImplemented: 1, flexibleFrom: 6, handler: listOffsets },
  { key: 3, name: 'Metadata', maxVersion: 12, minImplemented: 0, flexibleFrom: 9, handler: metadata },
  { key: 8, name: 'OffsetCommit', maxVersion: 8, minImplemented: 2, flexibleFrom: 8, handler: offsetCommit },
  { key: 9, name: 'OffsetFetch', maxVersion: 8, minImplemented: 1, flexibleFrom: 6, handler: offsetFetch },
  {
    key: 10,
    name: 'FindCoordinator',
    maxVersion: 4,
    minImplemented: 0,
    flexibleFrom: 3,
    handler: findCoordinator,
  },
  { key: 11, name: 'JoinGroup', maxVersion: 9, minImplemented: 0, flexibleFrom: 6, handler: joinGroup },
  { key: 12, name: 'Heartbeat', maxVersion: 4, minImplemented: 0, flexibleFrom: 4, handler: heartbeat },
  { key: 13, name: 'LeaveGroup', maxVersion: 5, minImplemented: 0, flexibleFrom: 4, handler: leaveGroup },
  { key: 14, name: 'SyncGroup', maxVersion: 5, minImplemented: 0, flexibleFrom: 4, handler: syncGroup },
  {
    key: 15,
    name: 'DescribeGroups',
    maxVersion: 5,
    minImplemented: 0,
    flexibleFrom: 5,
    handler: describeGroups,
  },
  { key: 16, name: 'ListGroups', maxVersion: 4, minImplemented: 0, flexibleFrom: 3, handler: listGroups },
  // v0 would carry the SASL tokens unframed after it: clients that know v1 use it.
  {
    key: 17,
    name: 'SaslHandshake',
    maxVersion: 1,
    minImplemented: 1,
    flexibleFrom: NEVER,
    handler: saslHandshake,
  },
  {
    key: API_VERSIONS_KEY,
    name: 'ApiVersions',
    maxVersion: API_VERSIONS_MAX,
    minImplemented: 0,
    flexibleFrom: 3,
    handler: apiVersions,
  },
  { key: 19, name: 'CreateTopics', maxVersion: 7, minImplemented: 0, flexibleFrom: 5, handler: createTopics },
  { key: 20, name: 'DeleteTopics', maxVersion: 6, minImplemented: 0, flexibleFrom: 4, handler: deleteTopics },
  {
    key: 22,
    name: 'InitProducerId',
    maxVersion: 4,
    minImplemented: 0,
    flexibleFrom: 2,
    handler: initProducerId,
  },
  {
    key: 36,
    name: 'SaslAuthenticate',
    maxVersion: 2,
    minImplemented: 0,
    flexibleFrom: 2,
    handler: saslAuthenticate,
  },
];

export const API_BY_KEY: ReadonlyMap<number, ApiSpec> = new Map(API_SPECS.map((a) => [a.key, a]));
