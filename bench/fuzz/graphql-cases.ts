/**
 * GraphQL fuzz cases, generated from the live schema of each role (its introspection): valid
 * documents (root fields with arguments and variables of the right types, nested relationships),
 * near-valid ones (one mutation of a valid document or its variables) and hostile shapes
 * (fragment fan-out and chains, deep selections and `where`s, wide aliases, large lists, odd
 * Unicode, NUL and lone surrogates, malformed bodies, batches). Deterministic for a seed.
 * Shared by bench/fuzz/graphql.ts (the runner) and the engine's bounded fuzz test.
 */
import { rng } from './random.ts';

export interface FuzzClient {
  role: string;
  headers: Record<string, string>;
}

export interface FuzzRequest {
  family: 'valid' | 'near-valid' | 'hostile';
  shape: string;
  client: FuzzClient;
  /** the raw HTTP body */
  body: string | Buffer;
  method?: 'GET' | 'POST';
}

/** Sizes: `test` keeps each request small enough for a bounded test; `bench` goes to the limits. */
export type FuzzScale = 'test' | 'bench';

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface FieldInfo {
  name: string;
  type: TypeRef;
  args: Array<{ name: string; type: TypeRef }>;
}
interface TypeInfo {
  kind: string;
  name: string;
  fields: FieldInfo[] | null;
  inputFields: Array<{ name: string; type: TypeRef }> | null;
  enumValues: Array<{ name: string }> | null;
}

export interface RoleSchema {
  client: FuzzClient;
  queryRoot: string;
  types: Map<string, TypeInfo>;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
const INTROSPECTION = `{ __schema { queryType { name } types { kind name
  fields { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } }
  inputFields { name type { ${TYPE_REF} } } enumValues { name } } } }`;

/** The schema `client` sees, from the engine's introspection. */
export async function loadRoleSchema(url: string, client: FuzzClient): Promise<RoleSchema> {
  const r = await fetch(`${url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...client.headers },
    body: JSON.stringify({ query: INTROSPECTION }),
  });
  const j = (await r.json()) as {
    data?: { __schema: { queryType: { name: string }; types: TypeInfo[] } };
    errors?: unknown;
  };
  if (!j.data)
    throw new Error(`introspection as ${client.role} failed: ${JSON.stringify(j.errors)}`);
  return {
    client,
    queryRoot: j.data.__schema.queryType.name,
    types: new Map(j.data.__schema.types.map((t) => [t.name, t])),
  };
}

const named = (t: TypeRef): string => t.name ?? (t.ofType ? named(t.ofType) : '');
const isNonNull = (t: TypeRef) => t.kind === 'NON_NULL';

/** Strings a hostile client would send: odd Unicode, control characters, NUL, lone surrogates. */
export const ODD_STRINGS = [
  'plain',
  '',
  'dev-\u0000x',
  'dev-\ud800',
  '\udfff\ud800',
  '\u202eRTL override',
  'e\u0301\u0301\u0301 combining',
  '😀👩‍👩‍👧‍👦',
  '\ufeffBOM',
  '\u0001\u0002\u001b[31m',
  "'; DROP TABLE entities; --",
  '%s%n%x',
  '\\u0000 escaped',
  'x'.repeat(5000),
];

export class CaseGenerator {
  private readonly r: () => number;

  constructor(
    private readonly schemas: RoleSchema[],
    /** clients beyond the schemas' own: a bad token, no credentials */
    private readonly strangers: FuzzClient[],
    seed: number,
    private readonly scale: FuzzScale,
  ) {
    this.r = rng(seed);
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  private big(lo: number, testHi: number, benchHi: number): number {
    return this.int(lo, this.scale === 'test' ? testHi : benchHi);
  }

  next(): FuzzRequest {
    const x = this.r();
    if (x < 0.45) return this.valid();
    if (x < 0.75) return this.nearValid();
    return this.hostile();
  }

  // ------------------------------------------------------------------ valid documents

  private tableFields(s: RoleSchema): FieldInfo[] {
    const root = s.types.get(s.queryRoot);
    return (root?.fields ?? []).filter(
      (f) => !f.name.startsWith('__') && s.types.get(named(f.type))?.kind === 'OBJECT',
    );
  }

  private scalarValue(type: string): unknown {
    switch (type) {
      case 'Int':
        return this.pick([0, 1, 7, -1, 2147483647]);
      case 'bigint':
        return this.pick([1, 2, 3, 10, -5, '9007199254740993']);
      case 'Float':
      case 'float8':
      case 'numeric':
        return this.pick([0, 1.5, -273.15, 1e300, 3.14159]);
      case 'Boolean':
        return this.r() < 0.5;
      case 'timestamptz':
        return this.pick([
          new Date(Date.now() - this.int(0, 86_400_000)).toISOString(),
          '2024-01-01',
          'now',
        ]);
      case 'jsonb':
        return this.pick([{ a: 1 }, { k: this.pick(ODD_STRINGS) }, [1, 2], 'str']);
      default:
        return this.pick(ODD_STRINGS);
    }
  }

  /** A selection set for an object type, at most `depth` levels of relationships below it. */
  private selection(s: RoleSchema, typeName: string, depth: number): string {
    const t = s.types.get(typeName);
    const fields = (t?.fields ?? []).filter((f) => !f.args.some((a) => isNonNull(a.type)));
    const leaves = fields.filter((f) =>
      ['SCALAR', 'ENUM'].includes(s.types.get(named(f.type))?.kind ?? ''),
    );
    const objects = fields.filter((f) => s.types.get(named(f.type))?.kind === 'OBJECT');
    const out = new Set<string>();
    for (let i = this.int(1, 4); i > 0 && leaves.length; i--) out.add(this.pick(leaves).name);
    if (depth > 0 && objects.length && this.r() < 0.5) {
      const o = this.pick(objects);
      const args = o.args.some((a) => a.name === 'limit') ? '(limit: 2)' : '';
      out.add(`${o.name}${args} { ${this.selection(s, named(o.type), depth - 1)} }`);
    }
    if (out.size === 0) out.add('__typename');
    return [...out].join(' ');
  }

  private valid(): FuzzRequest {
    const s = this.pick(this.schemas);
    const f = this.pick(this.tableFields(s));
    const required = f.args.filter((a) => isNonNull(a.type));
    const args: string[] = [];
    const defs: string[] = [];
    const variables: Record<string, unknown> = {};
    for (const a of required) {
      defs.push(`$${a.name}: ${typeText(a.type)}`);
      variables[a.name] = this.scalarValue(named(a.type));
      args.push(`${a.name}: $${a.name}`);
    }
    if (f.args.some((a) => a.name === 'limit')) args.push(`limit: ${this.int(0, 20)}`);
    const where = f.args.find((a) => a.name === 'where');
    if (where && this.r() < 0.7) {
      const bool = s.types.get(named(where.type));
      const cols = (bool?.inputFields ?? []).filter((x) =>
        s.types.get(named(x.type))?.inputFields?.some((o) => o.name === '_eq'),
      );
      if (cols.length) {
        const c = this.pick(cols);
        const cmp = s.types.get(named(c.type))!;
        const scalar = named(cmp.inputFields!.find((o) => o.name === '_eq')!.type);
        defs.push(`$v: ${scalar}`);
        variables.v = this.scalarValue(scalar);
        args.push(`where: { ${c.name}: { _eq: $v } }`);
      }
    }
    const sel = this.selection(s, named(f.type), 2);
    const head = defs.length ? `query Q(${defs.join(', ')})` : 'query Q';
    const query = `${head} { ${f.name}${args.length ? `(${args.join(', ')})` : ''} { ${sel} } }`;
    return this.req('valid', 'root-field', s.client, { query, variables, operationName: 'Q' });
  }

  // ------------------------------------------------------------------ near-valid

  private nearValid(): FuzzRequest {
    const base = this.valid();
    const body = JSON.parse(base.body as string) as Record<string, unknown>;
    const q = String(body.query);
    const kinds = [
      'drop-char',
      'unknown-field',
      'wrong-variable-type',
      'missing-variable',
      'extra-variable',
      'unknown-argument',
      'bad-operation-name',
      'no-selection',
      'unknown-directive',
      'variables-not-object',
      'operation-name-number',
      'mutation-as-role',
      'subscription-over-http',
      'duplicate-fragment',
    ] as const;
    const kind = this.pick(kinds);
    switch (kind) {
      case 'drop-char': {
        const i = this.int(0, q.length - 1);
        body.query = q.slice(0, i) + q.slice(i + 1);
        break;
      }
      case 'unknown-field':
        body.query = q.replace(/\{ (\w+)/, '{ no_such_field_$1');
        break;
      case 'wrong-variable-type':
        body.variables = Object.fromEntries(
          Object.keys((body.variables as object) ?? {}).map((k) => [
            k,
            this.pick([{ x: 1 }, [1], true, 'str', 1.5]),
          ]),
        );
        break;
      case 'missing-variable':
        body.variables = {};
        break;
      case 'extra-variable':
        body.variables = { ...(body.variables as object), surplus: this.pick(ODD_STRINGS) };
        break;
      case 'unknown-argument':
        body.query = q.replace(/\(/, '(bogus: 1, ');
        break;
      case 'bad-operation-name':
        body.operationName = this.pick(['Nope', '', '\u0000', 'Q Q']);
        break;
      case 'no-selection':
        body.query = q.replace(/\{ [^{}]*\}( \})$/, '$1');
        break;
      case 'unknown-directive':
        body.query = q.replace(/\{ (\w+)/, '{ $1 @bogus(if: true)');
        break;
      case 'variables-not-object':
        body.variables = this.pick(['x', [1], 3, true]);
        break;
      case 'operation-name-number':
        body.operationName = 7;
        break;
      case 'mutation-as-role':
        body.query = `mutation { delete_entities(where: {id: {_eq: -1}}) { affected_rows } }`;
        body.variables = {};
        delete body.operationName;
        break;
      case 'subscription-over-http':
        body.query = q.replace(/^query/, 'subscription');
        break;
      case 'duplicate-fragment':
        body.query = `${q} fragment A on query_root { __typename } fragment A on query_root { __typename }`;
        break;
    }
    return this.req('near-valid', kind, base.client, body);
  }

  // ------------------------------------------------------------------ hostile shapes

  private hostile(): FuzzRequest {
    const s = this.pick(this.schemas);
    const client = this.strangers.length && this.r() < 0.1 ? this.pick(this.strangers) : s.client;
    const kinds = [
      'fragment-fanout',
      'fragment-chain',
      'fragment-cycle',
      'deep-selection',
      'deep-where-variable',
      'deep-where-literal',
      'deep-json-variable',
      'wide-aliases',
      'large-in-list',
      'odd-unicode-values',
      'nul-in-query',
      'lone-surrogate-body',
      'invalid-utf8-body',
      'malformed-json',
      'huge-number',
      'proto-keys',
      'big-batch',
      'many-operations',
      'deep-introspection',
      'get-request',
      'persisted-hash-only',
      'long-string',
    ] as const;
    const kind = this.pick(kinds);
    const rel = 'sensor_readings(limit: 1) { entity { ';
    switch (kind) {
      case 'fragment-fanout': {
        const levels = this.int(8, 40);
        let q = `query { entities(limit: 1) { ...F${levels} } }\nfragment F0 on entities { id }\n`;
        for (let i = 1; i <= levels; i++)
          q += `fragment F${i} on entities { ...F${i - 1} ...F${i - 1} }\n`;
        return this.req('hostile', kind, client, { query: q });
      }
      case 'fragment-chain': {
        const n = this.big(10, 3000, 20000);
        let q = `{ entities(limit: 1) { ...C0 } }\n`;
        for (let i = 0; i < n; i++) q += `fragment C${i} on entities { id ...C${i + 1} }\n`;
        q += `fragment C${n} on entities { key }\n`;
        return this.req('hostile', kind, client, { query: q });
      }
      case 'fragment-cycle':
        return this.req('hostile', kind, client, {
          query:
            '{ entities { ...A } } fragment A on entities { ...B } fragment B on entities { id ...A }',
        });
      case 'deep-selection': {
        const n = this.big(5, 400, 3000);
        return this.req('hostile', kind, client, {
          query: `{ entities(limit: 1) { ${rel.repeat(n)} id ${'} }'.repeat(n)} } }`,
        });
      }
      case 'deep-where-variable': {
        const n = this.big(10, 20000, 200000);
        const w = `${'{"_and":['.repeat(n)}{"id":{"_gt":0}}${']}'.repeat(n)}`;
        return this.reqRaw(
          'hostile',
          kind,
          client,
          `{"query":"query ($w: entities_bool_exp) { entities(where: $w, limit: 1) { id } }","variables":{"w":${w}}}`,
        );
      }
      case 'deep-where-literal': {
        const n = this.big(10, 120, 120);
        return this.req('hostile', kind, client, {
          query: `{ entities(where: ${'{_or: ['.repeat(n)}{id: {_eq: 1}}${']}'.repeat(n)}) { id } }`,
        });
      }
      case 'deep-json-variable': {
        const n = this.big(10, 20000, 200000);
        return this.reqRaw(
          'hostile',
          kind,
          client,
          `{"query":"query ($v: jsonb) { entities(where: {attributes: {_contains: $v}}, limit: 1) { id } }","variables":{"v":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}}`,
        );
      }
      case 'wide-aliases': {
        const n = this.big(100, 3000, 20000);
        const sel = Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ');
        return this.req('hostile', kind, client, { query: `{ entities(limit: 1) { ${sel} } }` });
      }
      case 'large-in-list': {
        // past a few thousand elements, rarely: each is megabytes
        const n = this.r() < 0.9 ? this.int(10, 12000) : this.big(12000, 50000, 1_000_000);
        return this.req('hostile', kind, client, {
          query: 'query ($ids: [bigint!]) { entities(where: {id: {_in: $ids}}) { id } }',
          variables: { ids: Array.from({ length: n }, (_, i) => i) },
        });
      }
      case 'odd-unicode-values':
        return this.req('hostile', kind, client, {
          query:
            'query ($k: String, $j: jsonb) { entities(where: {_or: [{key: {_eq: $k}}, {attributes: {_contains: $j}}]}, limit: 2) { key } }',
          variables: {
            k: this.pick(ODD_STRINGS),
            j: { [this.pick(ODD_STRINGS)]: this.pick(ODD_STRINGS) },
          },
        });
      case 'nul-in-query':
        return this.req('hostile', kind, client, {
          query: this.pick([
            '{ entities(limit: 1) { id } }\u0000',
            '{ entities(where: {key: {_eq: "a\u0000b"}}) { id } }',
            '{ entities(where: {key: {_eq: "\\u0000"}}) { id } }',
            '{ ent\u0000ities { id } }',
            '{ entities(where: {key: {_eq: "\\ud800"}}) { id } }',
          ]),
        });
      case 'lone-surrogate-body':
        // JSON text with escaped lone surrogates in the query and the variables
        return this.reqRaw(
          'hostile',
          kind,
          client,
          '{"query":"query ($k: String) { entities(where: {key: {_eq: $k}}) { id \\ud800 } }","variables":{"k":"\\udc00\\ud800"}}',
        );
      case 'invalid-utf8-body':
        return this.reqRaw(
          'hostile',
          kind,
          client,
          Buffer.concat([
            Buffer.from('{"query":"{ entities { key } }","variables":{"k":"'),
            Buffer.from([0xff, 0xfe, 0xc0, 0x80]),
            Buffer.from('"}}'),
          ]),
        );
      case 'malformed-json':
        return this.reqRaw(
          'hostile',
          kind,
          client,
          this.pick([
            '{"query":',
            '',
            'null',
            '[]',
            '[[[[',
            '{"query":"{ entities { id } }"',
            '"x"',
            '{"query": 1}',
            '{"query": null}',
          ]),
        );
      case 'huge-number':
        return this.reqRaw(
          'hostile',
          kind,
          client,
          '{"query":"query ($l: Int, $id: bigint) { entities(limit: $l, where: {id: {_eq: $id}}) { id } }","variables":{"l":1e400,"id":123456789012345678901234567890}}',
        );
      case 'proto-keys':
        return this.reqRaw(
          'hostile',
          kind,
          client,
          '{"query":"query ($w: entities_bool_exp) { entities(where: $w, limit: 1) { id } }","variables":{"__proto__":{"x":1},"w":{"__proto__":{"id":{"_eq":1}},"constructor":{}}}}',
        );
      case 'big-batch': {
        const n = this.big(2, 150, 300);
        const one = { query: '{ entities(limit: 1) { id } }' };
        return this.reqRaw(
          'hostile',
          kind,
          client,
          JSON.stringify(Array.from({ length: n }, () => one)),
        );
      }
      case 'many-operations': {
        const n = this.big(2, 2000, 10000);
        let q = '';
        for (let i = 0; i < n; i++) q += `query O${i} { entities(limit: 1) { id } }\n`;
        return this.req('hostile', kind, client, { query: q, operationName: `O${n - 1}` });
      }
      case 'deep-introspection': {
        const n = this.big(5, 60, 200);
        return this.req('hostile', kind, client, {
          query: `{ __schema { types { ${'fields { type { '.repeat(n)}name${' } }'.repeat(n)} } } }`,
        });
      }
      case 'get-request':
        return { family: 'hostile', shape: kind, client, body: '', method: 'GET' };
      case 'persisted-hash-only':
        return this.req('hostile', kind, client, {
          extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } },
        });
      case 'long-string':
        return this.req('hostile', kind, client, {
          query: 'query ($k: String) { entities(where: {key: {_like: $k}}) { id } }',
          variables: { k: `%${'_%'.repeat(this.big(10, 20000, 200000))}` },
        });
    }
  }

  private req(
    family: FuzzRequest['family'],
    shape: string,
    client: FuzzClient,
    body: unknown,
  ): FuzzRequest {
    return { family, shape, client, body: JSON.stringify(body) };
  }
  private reqRaw(
    family: FuzzRequest['family'],
    shape: string,
    client: FuzzClient,
    body: string | Buffer,
  ): FuzzRequest {
    return { family, shape, client, body };
  }
}

function typeText(t: TypeRef): string {
  if (t.kind === 'NON_NULL') return `${typeText(t.ofType!)}!`;
  if (t.kind === 'LIST') return `[${typeText(t.ofType!)}]`;
  return t.name!;
}

export interface Outcome {
  status: number | null;
  ms: number;
  /** the answer's error code, `data`, or the transport failure */
  result: string;
}

/** Send one fuzz request; never throws (a transport failure is the outcome). */
export async function send(url: string, req: FuzzRequest, timeoutMs: number): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const r = await fetch(`${url}/v1/graphql`, {
      method: req.method ?? 'POST',
      headers:
        req.method === 'GET'
          ? req.client.headers
          : { 'content-type': 'application/json', ...req.client.headers },
      body:
        req.method === 'GET'
          ? undefined
          : typeof req.body === 'string'
            ? req.body
            : new Uint8Array(req.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    const ms = performance.now() - t0;
    let result = 'not-json';
    try {
      const j = JSON.parse(text) as
        | { data?: unknown; errors?: Array<{ extensions?: { code?: string }; message?: string }> }
        | unknown[];
      if (Array.isArray(j)) result = 'batch';
      else if (j.errors?.length) {
        const e = j.errors[0]!;
        // "internal error" is a crash the engine caught: a bug to find
        result =
          e.message === 'internal error' ? 'internal-error' : (e.extensions?.code ?? 'error');
      } else if (j.data !== undefined) result = 'data';
    } catch {
      // keep not-json
    }
    return { status: r.status, ms, result };
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string } };
    return {
      status: null,
      ms: performance.now() - t0,
      result:
        err.name === 'TimeoutError'
          ? 'timeout'
          : `transport:${err.cause?.code ?? err.name ?? 'error'}`,
    };
  }
}
