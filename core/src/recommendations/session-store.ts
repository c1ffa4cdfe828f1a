import type { Static } from '@sinclair/typebox';
import type { RecommendedItem } from './events.js';

/** One click as a session keeps it. */
export interface SessionClick {
  /** The click's envelope id: a redelivered click is not counted twice. */
  id: string;
  productId: string;
  action: 'view' | 'click' | 'cart' | 'buy';
  at: number;
}

/** A session's stored list: what `GET /v1/recommendations` reads. */
export interface StoredList {
  sessionId: string;
  deviceId: string;
  items: Array<Static<typeof RecommendedItem>>;
  clickId: string;
  productId: string;
  clickedAt: number;
  computedAt: number;
  modelVersion: string;
}

/**
 * Session state for recommendations: the recent clicks and the last computed list, both gone
 * `ttlMs` after the session's last click (its end). Memory and Redis engines pass one contract
 * (test/contracts/session-store.contract.ts): `session-store.memory.ts`, `session-store.redis.ts`.
 */
export interface SessionStore {
  /**
   * Appends a click (kept: the last `maxClicks`) and renews the session's time to live. Answers the
   * session's clicks oldest first, or null when this click id is already there (a redelivery).
   */
  append(sessionId: string, click: SessionClick): Promise<SessionClick[] | null>;
  clicks(sessionId: string): Promise<SessionClick[]>;
  putList(list: StoredList): Promise<void>;
  list(sessionId: string): Promise<StoredList | null>;
  /** Sessions held (memory: exact; Redis: keys under the prefix, for reports only). */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface SessionStoreOptions {
  ttlMs: number;
  maxClicks: number;
  now?: () => number;
}
