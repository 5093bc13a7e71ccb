/**
 * The dead-letter list's filters as the URL writes them (pipeline, code, from, to, page), and the
 * GraphQL document and variables they make: values as variables, one `where` for the page and its
 * count.
 */

export interface DeadLetterFilter {
  pipeline: string | null;
  code: string | null;
  /** ISO-8601 bounds on created_at */
  from: string | null;
  to: string | null;
  page: number;
}

export const PAGE_SIZE = 25;
const SIMPLE = /^[A-Za-z0-9_.-]{1,100}$/;

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function time(v: string | undefined): string | null {
  if (!v) return null;
  const ms = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function parseFilter(params: Params): DeadLetterFilter {
  const pipeline = one(params.pipeline);
  const code = one(params.code);
  const page = Number(one(params.page) ?? 1);
  return {
    pipeline: pipeline && SIMPLE.test(pipeline) ? pipeline : null,
    code: code && SIMPLE.test(code) ? code : null,
    from: time(one(params.from)),
    to: time(one(params.to)),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

export function filterQuery(f: DeadLetterFilter, page = f.page): string {
  const q = new URLSearchParams();
  if (f.pipeline) q.set('pipeline', f.pipeline);
  if (f.code) q.set('code', f.code);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (page > 1) q.set('page', String(page));
  return q.toString();
}

export function deadLettersDocument(preview: boolean): string {
  return `query DeadLetterPage($where: dead_letters_bool_exp!, $limit: Int!, $offset: Int!) {
  page: dead_letters(where: $where, order_by: { id: desc }, limit: $limit, offset: $offset) {
    id pipeline source_topic source_partition source_offset error_code reason created_at${preview ? ' message_size message_preview' : ''}
  }
  total: dead_letters_aggregate(where: $where) { aggregate { count } }
  codes: dead_letters(distinct_on: error_code, order_by: { error_code: asc }) { error_code }
}`;
}

export function deadLettersVariables(f: DeadLetterFilter): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  if (f.pipeline) where.pipeline = { _eq: f.pipeline };
  if (f.code) where.error_code = { _eq: f.code };
  if (f.from || f.to)
    where.created_at = { ...(f.from ? { _gte: f.from } : {}), ...(f.to ? { _lte: f.to } : {}) };
  return { where, limit: PAGE_SIZE, offset: (f.page - 1) * PAGE_SIZE };
}
