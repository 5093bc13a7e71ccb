/** The per-variant plans of one cached operation (the operations themselves: ../lru-cache.ts). */
import type { ResolvedOperation } from '../parse/operation.ts';

/**
 * What the plan cache keeps per (role, scenario, operationName, document): the selected
 * operation and its plans by variant. An operation has one type, and each type one plan builder,
 * so `P` is the plan type of that builder (execute/query.ts's or subscription/plan.ts's).
 */
export interface CachedOperation<P = unknown> {
  op: ResolvedOperation;
  variants: PlanVariants<P>;
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

  /** per variable: `0` absent, `1` null, `2` a value, or the JSON of a structural one's value */
  private key(values: Record<string, unknown>): string {
    let key = '';
    for (const n of this.names) {
      if (!hasOwn(values, n)) key += '0,';
      else if (this.structural.has(n)) key += `${JSON.stringify([values[n]])},`;
      else key += values[n] === null ? '1,' : '2,';
    }
    return key;
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
