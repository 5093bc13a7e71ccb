/**
 * Running a mutation operation as Hasura does (Hasura/Backends/Postgres/Execute/{Mutation,
 * Insert}.hs): the whole operation is one transaction, each root field runs in order with its own
 * statement(s), any error rolls everything back. The session is visible to triggers as
 * `current_setting('hasura.user')`.
 *
 * - insert without nested rows: one INSERT of all rows;
 * - insert with relationships: row by row — object relationships first (their keys feed the row),
 *   then the row, then array relationships (the row's keys feed them); affected_rows counts every
 *   inserted row; the answer is built from the top-level rows afterwards;
 * - update (each batch of `_many` separately) and delete: one statement each.
 *
 * A permission check that fails is Hasura's `permission-error` "check constraint of an
 * insert/update permission has failed".
 */
import type pg from 'pg';
import { bindPlaceholders, compile, type SQL } from '@streamsync/database';
import { pgQueryError, QErr, type PathElem } from '../errors.ts';
import type { AnnInsert, InsertRow, MutationField, MutationIR } from '../ir/mutation.ts';
import type { Val } from '../ir/types.ts';
import { outputReadsTables } from '../parse/mutation.ts';
import type { ParamUse } from '../parse/select.ts';
import { insertDml } from '../translate/insert.ts';
import {
  answerFromRows,
  answerStatement,
  emptyOutput,
  fetchStatement,
} from '../translate/mutation-output.ts';
import { SelectTranslator } from '../translate/select.ts';
import { deleteDml, updateDml } from '../translate/update.ts';
import { tableDisplayName } from '../schema/build.ts';
import type { TableInfo } from '../schema/source.ts';
import { buildMutationIR } from '../parse/mutation.ts';
import type { Session } from '../session.ts';
import {
  operationRoot,
  paramsByKey,
  placeholderLookup,
  type ExecOptions,
  type Prepared,
} from './planner.ts';
import { timeLimitError } from '../limits/index.ts';
import { DEFAULT_SOURCE } from '../sources/source-pools.ts';
import { rootFieldSource } from './query.ts';
import { QUERY_CANCELED, timeoutSetting } from '../limits/statement-timeout.ts';

const CHECK_FAILED = 'check constraint of an insert/update permission has failed';

class Runner {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly session: Session,
    private readonly params: Map<string, ParamUse>,
    /** seconds; a statement cancelled by it is the time limit's error */
    private readonly timeLimit: number | null = null,
  ) {}

  /** the plan of a mutation is made per request: bind the values it was made with */
  private bind(statement: SQL): { text: string; values: unknown[] } {
    const compiled = compile(statement);
    const values = bindPlaceholders(compiled, placeholderLookup(this.params, null, this.session));
    return { text: compiled.text, values };
  }

  async run<R extends Record<string, unknown>>(statement: SQL, path: PathElem[]): Promise<R> {
    const q = this.bind(statement);
    try {
      const res = await this.client.query<R>(q);
      return res.rows[0]!;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      if (this.timeLimit && err.code === QUERY_CANCELED) throw timeLimitError(this.timeLimit);
      const qe = pgQueryError(err, q.text, q.values);
      qe.path = [...path];
      throw qe;
    }
  }

  async field(f: MutationField): Promise<string> {
    switch (f.k) {
      case 'typename':
        return JSON.stringify(f.name);
      case 'namespace':
        // runMutation runs a namespace's fields one by one
        throw new Error('a namespace field is not one statement');
      case 'query': {
        const { statement, columns } = new SelectTranslator().query(f.ir);
        if (!columns.length) return 'null';
        const row = await this.run<Record<string, string | null>>(statement, []);
        return row.c0 ?? 'null';
      }
      case 'delete': {
        const tr = new SelectTranslator();
        return this.answer(
          tr,
          f.table,
          deleteDml(tr, f.table, f.permFilter, f.where),
          f.output,
          [],
        );
      }
      case 'update': {
        const answers: string[] = [];
        for (const b of f.batches) {
          if (b.ops.length === 0) {
            answers.push(emptyOutput(f.output));
            continue;
          }
          const tr = new SelectTranslator();
          const dml = updateDml(tr, f.table, b, f.permFilter, f.check);
          answers.push(await this.answer(tr, f.table, dml, f.output, []));
        }
        return f.many ? `[${answers.join(',')}]` : (answers[0] ?? emptyOutput(f.output));
      }
      case 'insert':
        return this.insert(f);
    }
  }

  /** One DML statement and its answer (two statements when the answer reads other rows). */
  private async answer(
    tr: SelectTranslator,
    t: TableInfo,
    dml: SQL,
    out: Parameters<typeof answerStatement>[3],
    path: PathElem[],
  ): Promise<string> {
    if (!outputReadsTables(out)) {
      const row = await this.run<{ out: string | null; ok: boolean }>(
        answerStatement(tr, t, dml, out),
        path,
      );
      if (!row.ok) throw new QErr('permission-error', CHECK_FAILED, 200, path);
      return row.out ?? 'null';
    }
    const fetched = await this.run<{ n: number; rows: string[]; ok: boolean }>(
      fetchStatement(t, dml),
      path,
    );
    if (!fetched.ok) throw new QErr('permission-error', CHECK_FAILED, 200, path);
    const row = await this.run<{ out: string | null }>(
      answerFromRows(new SelectTranslator(), t, out, fetched.rows, fetched.n),
      path,
    );
    return row.out ?? 'null';
  }

  // ---------------------------------------------------------------- insert

  private async insert(f: Extract<MutationField, { k: 'insert' }>): Promise<string> {
    const ins = f.ins;
    if (ins.rows.length === 0) return emptyOutput(f.output);
    if (!hasRelationships(ins)) {
      const tr = new SelectTranslator();
      const dml = insertDml(tr, ins, ins.rows);
      return this.answer(tr, ins.table, dml, f.output, ins.path);
    }
    let affected = 0;
    const rows: string[] = [];
    for (const r of ins.rows) {
      const res = await this.insertObject(ins, r, []);
      affected += res.affected;
      if (res.rowText !== null) rows.push(res.rowText);
    }
    const out = await this.run<{ out: string | null }>(
      answerFromRows(new SelectTranslator(), ins.table, f.output, rows, affected),
      ins.path,
    );
    return out.out ?? 'null';
  }

  /** Rows of an array relationship (or after-parent object relationship): affected rows. */
  private async insertMany(ins: AnnInsert, parentCols: Array<[string, Val]>): Promise<number> {
    if (!hasRelationships(ins)) {
      const tr = new SelectTranslator();
      const rows = ins.rows.map((r) => ({ columns: [...r.columns, ...parentCols] }));
      const res = await this.fetch(tr, ins, rows, ins.path);
      return res.n;
    }
    let affected = 0;
    for (const r of ins.rows) affected += (await this.insertObject(ins, r, parentCols)).affected;
    return affected;
  }

  private async fetch(
    tr: SelectTranslator,
    ins: AnnInsert,
    rows: Array<{ columns: Array<[string, Val]> }>,
    path: PathElem[],
  ): Promise<{ n: number; rows: string[]; vals: Array<Array<string | null>> }> {
    const res = await this.run<{
      n: number;
      rows: string[];
      vals: Array<Array<string | null>>;
      ok: boolean;
    }>(fetchStatement(ins.table, insertDml(tr, ins, rows)), path);
    if (!res.ok) throw new QErr('permission-error', CHECK_FAILED, 200, path);
    return res;
  }

  private async insertObject(
    ins: AnnInsert,
    row: InsertRow,
    parentCols: Array<[string, Val]>,
  ): Promise<{ affected: number; rowText: string | null; vals: Array<string | null> | null }> {
    const t = ins.table;
    let affected = 0;
    const determined: Array<[string, Val]> = [];
    for (const { rel, ins: relIns } of row.objRels) {
      const res = await this.insertObject(relIns, relIns.rows[0]!, []);
      affected += res.affected;
      if (!res.vals) {
        throw new QErr(
          'not-supported',
          `cannot proceed to insert object relation "${rel.name}" since insert to table "${tableDisplayName(relIns.table)}" affects zero rows`,
          200,
          relIns.path.slice(0, -1),
        );
      }
      for (const [local, remote] of rel.mapping) {
        const idx = relIns.table.pg.columns.findIndex((c) => c.name === remote);
        const col = t.columnsByName.get(local)!;
        determined.push([
          local,
          { k: 'lit', value: res.vals[idx] ?? null, pgType: col.pg.formatted },
        ]);
      }
    }
    const res = await this.fetch(
      new SelectTranslator(),
      ins,
      [{ columns: [...row.columns, ...determined, ...parentCols] }],
      row.path,
    );
    affected += res.n;
    const vals = res.vals[0] ?? null;
    if (row.arrRels.length) {
      if (!vals) {
        throw new QErr(
          'not-supported',
          `cannot proceed to insert array relations since insert to table "${tableDisplayName(t)}" affects zero rows`,
          200,
          row.path,
        );
      }
      for (const { rel, ins: relIns } of row.arrRels) {
        const cols: Array<[string, Val]> = rel.mapping.map(([local, remote]) => {
          const idx = t.pg.columns.findIndex((c) => c.name === local);
          const col = relIns.table.columnsByName.get(remote)!;
          return [remote, { k: 'lit', value: vals[idx] ?? null, pgType: col.pg.formatted }];
        });
        affected += await this.insertMany(relIns, cols);
      }
    }
    return { affected, rowText: res.rows[0] ?? null, vals };
  }
}

function hasRelationships(ins: AnnInsert): boolean {
  return ins.rows.some((r) => r.objRels.length > 0 || r.arrRels.length > 0);
}

/** The source a mutation root field writes (null: answered without the database). */
function mutationSource(f: MutationField): string | null {
  switch (f.k) {
    case 'insert':
      return f.ins.table.source;
    case 'update':
    case 'delete':
      return f.table.source;
    case 'query':
      return f.ir.root.map(([, r]) => rootFieldSource(r)).find((s) => s !== null) ?? null;
    default:
      return null;
  }
}

/** Run `fields` in one transaction of `pool`, their answers into `out`. Throws rolled back. */
async function inTransaction(
  pool: pg.Pool,
  session: Session,
  params: ParamUse[],
  timeLimit: number | null,
  fields: ReadonlyArray<{ f: MutationField; out?: string }>,
): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    try {
      // the role's time limit holds for every statement of the transaction (SET LOCAL)
      await client.query('SELECT set_config($1, $2, true), set_config($3, $4, true)', [
        'hasura.user',
        JSON.stringify(session.variables),
        'statement_timeout',
        timeoutSetting(timeLimit),
      ]);
      const runner = new Runner(client, session, paramsByKey(params), timeLimit);
      for (const leaf of fields) leaf.out = await runner.field(leaf.f);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Run the root fields of a mutation in order; returns the `data` object's text. The fields of
 * one source run in one transaction, and a field of another source starts that source's
 * (Hasura runs each source's part of a mutation in its own transaction): a failing field rolls
 * back its source's transaction and stops the operation, the transactions already committed
 * stay. Throws a QErr (already rolled back) on the first error.
 */
export async function runMutation(
  poolOf: (source: string) => pg.Pool,
  session: Session,
  ir: MutationIR,
  params: ParamUse[],
  timeLimit: number | null = null,
): Promise<string> {
  type Shape = { prefix: string; leaf: number } | { prefix: string; nested: Shape[] };
  const leaves: Array<{ f: MutationField; out?: string }> = [];
  const shape = (root: MutationIR['root']): Shape[] =>
    root.map(([alias, f]) => {
      const prefix = `${JSON.stringify(alias)}:`;
      if (f.k === 'namespace') return { prefix, nested: shape(f.fields) };
      leaves.push({ f });
      return { prefix, leaf: leaves.length - 1 };
    });
  const tree = shape(ir.root);
  for (let i = 0; i < leaves.length;) {
    let source: string | null = null;
    let j = i;
    for (; j < leaves.length; j++) {
      const s = mutationSource(leaves[j]!.f);
      if (s === null) continue;
      if (source !== null && s !== source) break;
      source = s;
    }
    await inTransaction(
      poolOf(source ?? DEFAULT_SOURCE),
      session,
      params,
      timeLimit,
      leaves.slice(i, j),
    );
    i = j;
  }
  const text = (shapes: Shape[]): string =>
    shapes
      .map((s) => s.prefix + ('leaf' in s ? leaves[s.leaf]!.out! : `{${text(s.nested)}}`))
      .join(',');
  return `{${text(tree)}}`;
}

/** Plan a mutation operation (its IR, against the role's schema) and run it: the `data` text. */
export async function executeMutation(p: Prepared, opts: ExecOptions): Promise<string> {
  const root = operationRoot(p, opts);
  const ctx = root.context();
  const ir = buildMutationIR(ctx, root.rootType, root.fields);
  const poolOf = (source: string): pg.Pool => {
    if (source === DEFAULT_SOURCE) return opts.pool;
    const pool = opts.sourcePool?.(source);
    if (!pool) throw new QErr('unexpected', `source with name "${source}" is not reachable`, 200);
    return pool;
  };
  return runMutation(poolOf, p.session, ir, ctx.params, p.limits.role.time);
}
