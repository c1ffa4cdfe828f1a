/**
 * One Server-Sent Events connection per tab (`/v1/live`), shared by every view. EventSource
 * reconnects by itself and sends `Last-Event-ID`, so nothing still held by the API is missed; a
 * `reset` event means some was not, and views refetch.
 */
type Handler = (data: unknown) => void;

const TYPES = ['cells', 'geo', 'campaigns', 'alert', 'review', 'dead-letter', 'sentiment', 'reset', 'hello'];

class LiveStream {
  #source: EventSource | null = null;
  readonly #handlers = new Map<string, Set<Handler>>();
  #connected = false;
  readonly #status = new Set<(connected: boolean) => void>();

  start(): void {
    if (this.#source !== null) return;
    const source = new EventSource('/v1/live', { withCredentials: true });
    source.onopen = () => this.#setConnected(true);
    source.onerror = () => this.#setConnected(false);
    for (const type of TYPES) {
      source.addEventListener(type, (e) => {
        const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
        for (const h of this.#handlers.get(type) ?? []) h(data);
      });
    }
    this.#source = source;
  }

  stop(): void {
    this.#source?.close();
    this.#source = null;
    this.#setConnected(false);
  }

  /** Subscribe to one event type; returns the unsubscribe. */
  on(type: string, handler: Handler): () => void {
    let set = this.#handlers.get(type);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(type, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** `refresh` on each event of `type` and on `reset` (events were missed): for views that refetch. */
  refetchOn(type: string, refresh: () => void): () => void {
    const off = [this.on(type, refresh), this.on('reset', refresh)];
    return () => {
      for (const o of off) o();
    };
  }

  onStatus(handler: (connected: boolean) => void): () => void {
    this.#status.add(handler);
    handler(this.#connected);
    return () => this.#status.delete(handler);
  }

  #setConnected(connected: boolean) {
    this.#connected = connected;
    for (const h of this.#status) h(connected);
  }
}

export const live = new LiveStream();
