import type { Static } from '@sinclair/typebox';
import { Feed, type FeedOptions } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import type { Product } from './events.js';

export type CatalogueProduct = Static<typeof Product>;

/**
 * The product catalogue as this process knows it: every `product.upserted` on the compacted
 * `hx.products`, read from the beginning (a `Feed`: ready once caught up).
 */
export class Catalogue {
  readonly #products = new Map<string, CatalogueProduct>();
  readonly #byCategory = new Map<string, Set<string>>();
  #stocked = 0;
  readonly feed: Feed;

  constructor(options: FeedOptions) {
    this.feed = new Feed(options, {
      name: 'product-catalogue',
      topic: TOPICS.products.name,
      handler: async (envelope) => this.put(envelope.data as CatalogueProduct),
    });
  }

  put(product: CatalogueProduct): void {
    const before = this.#products.get(product.productId);
    if ((before?.stockedIn?.length ?? 0) > 0) this.#stocked--;
    if ((product.stockedIn?.length ?? 0) > 0) this.#stocked++;
    if (before?.category !== undefined) this.#byCategory.get(before.category)?.delete(product.productId);
    this.#products.set(product.productId, product);
    if (product.category !== undefined) {
      let members = this.#byCategory.get(product.category);
      if (members === undefined) {
        members = new Set();
        this.#byCategory.set(product.category, members);
      }
      members.add(product.productId);
    }
  }

  get(productId: string): CatalogueProduct | undefined {
    return this.#products.get(productId);
  }

  isAvailable(productId: string): boolean {
    return this.#products.get(productId)?.available === true;
  }

  /** A category's products (first 200), in the order they were added. */
  inCategory(category: string): string[] {
    return [...(this.#byCategory.get(category) ?? [])].slice(0, 200);
  }

  /** Products some store stocks (`stockedIn`): with none, nobody's list is boosted. */
  get stocked(): number {
    return this.#stocked;
  }

  get size(): number {
    return this.#products.size;
  }
}
