/**
 * Queries issued in the same task travel as one request. A dashboard opens, or changes its range,
 * by having every panel read its history at once: a dozen panels are two dozen queries, which a
 * browser sends six at a time over HTTP/1.1, and which the server parses, checks and runs one by
 * one. Merged into one operation (variables and top-level fields prefixed per query) they are one
 * round trip and, on either server, one SQL statement.
 *
 * Each caller still gets its own result. When the merged request fails (one query's error fails
 * the whole operation), every query is sent again on its own, so each error reaches the query
 * that caused it and no other.
 */
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from '@0no-co/graphql.web';

export type RunQuery = (
  document: string,
  variables: Record<string, unknown>,
) => Promise<{ data?: Record<string, unknown> | null; error?: { message: string } }>;

interface Pending {
  document: string;
  variables: Record<string, unknown>;
  resolve: (data: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

/**
 * How a task's queries are spread over requests: over as many requests as a browser sends at once
 * to one host (HTTP/1.1), at least MIN_PER_REQUEST to a request. One request for everything would
 * make every panel wait for the largest read, and leave the server's other cores idle.
 */
export const PARALLEL_REQUESTS = 6;
export const MIN_PER_REQUEST = 4;

/** Sizes of the requests `n` queries are sent in. */
export function requestSizes(n: number): number[] {
  const requests = Math.max(1, Math.min(PARALLEL_REQUESTS, Math.floor(n / MIN_PER_REQUEST)));
  return Array.from(
    { length: requests },
    (_, i) => Math.floor(n / requests) + (i < n % requests ? 1 : 0),
  );
}

const parsed = new Map<string, OperationDefinitionNode>();

function operationOf(document: string): OperationDefinitionNode {
  let op = parsed.get(document);
  if (!op) {
    const doc: DocumentNode = parse(document);
    const ops = doc.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    if (ops.length !== 1 || ops[0]!.operation !== 'query' || doc.definitions.length !== 1)
      throw new Error('only single queries without fragments can be batched');
    op = ops[0]!;
    if (parsed.size > 500) parsed.clear();
    parsed.set(document, op);
  }
  return op;
}

/** Hasura's default `@cached` ttl, in seconds. */
const DEFAULT_CACHE_TTL_S = 60;

/**
 * The `@cached` ttl of a query (seconds), or null when it is not cached. The batcher sends cached
 * and uncached queries apart: a merged operation is cached only when all of it may be, and a
 * cached one is only worth its key when everyone opening the same view sends the same batch.
 */
export function cacheTtl(document: string): number | null {
  const dir = operationOf(document).directives?.find((d) => d.name.value === 'cached');
  if (!dir) return null;
  const ttl = dir.arguments?.find((a) => a.name.value === 'ttl')?.value;
  return ttl?.kind === Kind.INT ? Number(ttl.value) : DEFAULT_CACHE_TTL_S;
}

/**
 * The merged operation of `docs`, query i's variables and top-level fields prefixed `b<i>_`. It
 * is `@cached` (with the least ttl) when every query is.
 */
export function mergeQueries(
  queries: ReadonlyArray<{ document: string; variables: Record<string, unknown> }>,
): { document: string; variables: Record<string, unknown> } {
  const varDefs: VariableDefinitionNode[] = [];
  const fields: FieldNode[] = [];
  const variables: Record<string, unknown> = {};
  queries.forEach((q, i) => {
    const prefix = `b${i}_`;
    const op = visit(operationOf(q.document), {
      Variable: (node) => ({ ...node, name: { ...node.name, value: prefix + node.name.value } }),
    }) as OperationDefinitionNode;
    for (const d of op.variableDefinitions ?? []) {
      varDefs.push(d);
      const original = d.variable.name.value.slice(prefix.length);
      if (original in q.variables) variables[d.variable.name.value] = q.variables[original];
    }
    for (const s of op.selectionSet.selections) {
      if (s.kind !== Kind.FIELD) throw new Error('only fields can be batched');
      const alias = s.alias?.value ?? s.name.value;
      fields.push({ ...s, alias: { kind: Kind.NAME, value: prefix + alias } });
    }
  });
  const ttls = queries.map((q) => cacheTtl(q.document));
  const cached = ttls.every((t) => t !== null) ? Math.min(...(ttls as number[])) : null;
  const merged: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: 'Batch' },
        variableDefinitions: varDefs,
        directives:
          cached === null
            ? []
            : [
                {
                  kind: Kind.DIRECTIVE,
                  name: { kind: Kind.NAME, value: 'cached' },
                  arguments: [
                    {
                      kind: Kind.ARGUMENT,
                      name: { kind: Kind.NAME, value: 'ttl' },
                      value: { kind: Kind.INT, value: String(cached) },
                    },
                  ],
                },
              ],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
    ],
  };
  return { document: print(merged), variables };
}

/** Query i's own data out of the merged result. */
export function splitResult(data: Record<string, unknown>, index: number): Record<string, unknown> {
  const prefix = `b${index}_`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data))
    if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Whether a query is `@cached`; a document that does not parse is sent alone and fails there. */
function cachedOrFalse(document: string): boolean {
  try {
    return cacheTtl(document) !== null;
  } catch {
    return false;
  }
}

export class QueryBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly run: RunQuery) {}

  /** Resolves with the query's data; rejects with its error. */
  query<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        document,
        variables,
        resolve: resolve as (d: Record<string, unknown>) => void,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        // after the current task's synchronous work: every panel's effect of one commit
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    // cached queries travel apart from the rest, so their merged operation stays cacheable
    const cached = all.filter((p) => cachedOrFalse(p.document));
    const rest = all.filter((p) => !cached.includes(p));
    for (const group of [cached, rest]) {
      let at = 0;
      for (const size of group.length ? requestSizes(group.length) : []) {
        void this.send(group.slice(at, at + size));
        at += size;
      }
    }
  }

  private async one(p: Pending): Promise<void> {
    try {
      const res = await this.run(p.document, p.variables);
      if (res.error) p.reject(new Error(res.error.message));
      else p.resolve(res.data ?? {});
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.one(batch[0]!);
    let merged: ReturnType<typeof mergeQueries>;
    try {
      merged = mergeQueries(batch);
    } catch {
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    let res: Awaited<ReturnType<RunQuery>>;
    try {
      res = await this.run(merged.document, merged.variables);
    } catch {
      res = { error: { message: 'batch failed' } };
    }
    if (res.error || !res.data) {
      // which query failed is not known: each alone, so each gets its own answer
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    batch.forEach((p, i) => p.resolve(splitResult(res.data!, i)));
  }
}
