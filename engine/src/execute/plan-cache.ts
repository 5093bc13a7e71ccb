/**
 * The caches of the request path: a small LRU (compiled plans per engine state, verified tokens
 * per JWT key) and the per-variant plans of one cached operation.
 */

/** A small LRU map: Map keeps insertion order, so the first key is the least recently used. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.max <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The plans of one cached operation, one per variant. A plan depends on the values of the
 * variables it reads structurally (a `where` object, an enum, `@skip(if:)`), and on whether each
 * other variable is absent (its default applies), null, or a value; scalar values themselves are
 * placeholders bound per request. So the variant key is: structural variables by value, the
 * others by that three-way shape. Which variables are structural is learned from the plans made
 * (the union of them: a value of one variable can hide the uses of another, as `@skip` does);
 * when a plan reveals a new one, the variants keyed without it are dropped.
 */
export class PlanVariants<P> {
  private readonly structural = new Set<string>();
  private readonly plans = new Map<string, P>();

  /** `names`: the operation's declared variables, in order. */
  constructor(
    private readonly names: readonly string[],
    private readonly max = 64,
  ) {}

  private key(values: Record<string, unknown>): string {
    return JSON.stringify(
      this.names.map((n) =>
        !hasOwn(values, n) ? 0 : this.structural.has(n) ? [values[n]] : values[n] === null ? 1 : 2,
      ),
    );
  }

  get(values: Record<string, unknown>): P | undefined {
    return this.plans.get(this.key(values));
  }

  /** Keep `plan`, made for `values`, whose making read `structural` variables by value. */
  add(values: Record<string, unknown>, structural: Iterable<string>, plan: P): void {
    let learned = false;
    for (const v of structural) {
      if (!this.structural.has(v)) {
        this.structural.add(v);
        learned = true;
      }
    }
    if (learned) this.plans.clear();
    if (this.plans.size < this.max) this.plans.set(this.key(values), plan);
  }

  get size(): number {
    return this.plans.size;
  }
}
