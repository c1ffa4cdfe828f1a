import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Empty, ErrorNote } from '../ui.js';

interface Item {
  productId: string;
  score: number;
  source: string;
  category?: string;
}
interface Lists {
  session: Item[];
  product: Item[];
  union: Item[];
  computedAt: number | null;
  modelVersion: string;
}

function List({ title, items, empty }: { title: string; items: Item[]; empty: string }) {
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <ol aria-label={title}>
          {items.map((i) => (
            <li key={i.productId}>
              <code>{i.productId}</code> {i.category && <small>{i.category}</small>}{' '}
              <small>
                {i.score.toFixed(3)} · {i.source}
              </small>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** A session's list, a product's item-to-item list, and their union, as the API serves them. */
export function RecsView() {
  const [session, setSession] = useState('');
  const [product, setProduct] = useState('');
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState<unknown>(null);
  const look = async (e: Event) => {
    e.preventDefault();
    const q = new URLSearchParams({ n: '10' });
    if (session) q.set('session', session);
    if (product) q.set('product', product);
    try {
      setLists(await api<Lists>('GET', `/v1/recommendations?${q}`));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h2>Recommendations</h2>
      <form class="inline" onSubmit={look}>
        <input
          placeholder="session id"
          aria-label="session"
          value={session}
          onInput={(e) => setSession((e.target as HTMLInputElement).value)}
        />
        <input
          placeholder="product id"
          aria-label="product"
          value={product}
          onInput={(e) => setProduct((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!session && !product}>
          Look up
        </button>
      </form>
      <ErrorNote error={error} />
      {lists === null ? (
        <Empty>Give a session id (from the SDK or POST /v1/events), a product id, or both.</Empty>
      ) : (
        <>
          <p class="hint">
            Model {lists.modelVersion}
            {lists.computedAt !== null &&
              ` · session list computed ${new Date(lists.computedAt).toLocaleTimeString()}`}
          </p>
          <div class="columns three">
            <List
              title="Session (clickstream)"
              items={lists.session}
              empty="No list stored for this session: it has no clicks, or it expired."
            />
            <List
              title="Product (item to item)"
              items={lists.product}
              empty="No neighbours: unknown product, or no model published yet."
            />
            <List title="Union" items={lists.union} empty="Nothing to show." />
          </div>
        </>
      )}
    </section>
  );
}
