/**
 * Where the SDK keeps what must survive an app restart (the offline buffer, seen inbox ids, the
 * clickstream session). Synchronous (localStorage) and asynchronous (React Native AsyncStorage)
 * stores both fit: every method may return a value or a promise.
 */
export interface StorageAdapter {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** In-memory storage (the default; nothing survives the process). */
export function memoryStorage(): StorageAdapter {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** A Web Storage object (`window.localStorage`) as a StorageAdapter. */
export function webStorage(storage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}): StorageAdapter {
  return {
    getItem: (key) => storage.getItem(key),
    setItem: (key, value) => storage.setItem(key, value),
    removeItem: (key) => storage.removeItem(key),
  };
}

export async function readJson<T>(storage: StorageAdapter, key: string, fallback: T): Promise<T> {
  try {
    const text = await storage.getItem(key);
    return text === null ? fallback : (JSON.parse(text) as T);
  } catch {
    return fallback;
  }
}
