/**
 * The SQL golden cases: a GraphQL request and a session → the statement the engine runs and its
 * parameters, through the engine's own planner (execute/planner.ts) and translator, with no
 * database: the catalog is catalog.json (what the catalog query reads from schema.sql) and the
 * metadata is metadata.json. `engine/src/translate/sql-golden.test.ts` compares the output with
 * the reviewed files in cases/ (UPDATE_GOLDEN=1 rewrites them); `engine/test/sql-golden.test.ts`
 * checks that catalog.json is still what schema.sql gives and that every statement runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { bindPlaceholders, compile, type SQL } from '@streamsync/database';
import { loadConfig } from '../../src/config.ts';
import { readCatalog, type RawCatalog } from '../../src/introspection/catalog.ts';
import { EngineLimits } from '../../src/limits/index.ts';
import type { Metadata } from '../../src/metadata/types.ts';
import { EngineState } from '../../src/execute/state.ts';
import {
  operationRoot,
  paramsByKey,
  placeholderLookup,
  prepare,
  type ExecOptions,
} from '../../src/execute/planner.ts';
import { planQuery } from '../../src/execute/query.ts';
import { buildMutationIR, outputReadsTables } from '../../src/parse/mutation.ts';
import { mutationSchema } from '../../src/schema/mutation.ts';
import { streamFieldsExtension } from '../../src/schema/stream-fields.ts';
import { insertDml } from '../../src/translate/insert.ts';
import { answerStatement, fetchStatement } from '../../src/translate/mutation-output.ts';
import { SelectTranslator } from '../../src/translate/select.ts';
import { deleteDml, updateDml } from '../../src/translate/update.ts';
import { ADMIN_ROLE, type Session } from '../../src/session.ts';
import { GOLDEN_CASES, type GoldenCase } from './cases.ts';

export const GOLDEN_DIR = import.meta.dirname;
export const CASES_DIR = path.join(GOLDEN_DIR, 'cases');

export { GOLDEN_CASES, type GoldenCase };

/** One statement of a case, as the engine would send it. */
export interface GoldenStatement {
  text: string;
  values: unknown[];
}

function goldenState(): { state: EngineState; opts: ExecOptions } {
  const raw = JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, 'catalog.json'), 'utf8'));
  const metadata = JSON.parse(
    fs.readFileSync(path.join(GOLDEN_DIR, 'metadata.json'), 'utf8'),
  ) as Metadata;
  const config = loadConfig({ HASURA_GRAPHQL_DATABASE_URL: 'postgres://golden@127.0.0.1/golden' });
  const catalogs = {
    catalogs: new Map([['default', readCatalog(raw as RawCatalog)]]),
    unreachable: new Map(),
  };
  const state = new EngineState(metadata, 1, catalogs, {
    stringifyNumeric: false,
    planCacheSize: 16,
    extensions: [mutationSchema, streamFieldsExtension],
  });
  const opts: ExecOptions = {
    // planning never touches the pool; running the statements is the integration test's
    pool: undefined as unknown as pg.Pool,
    includeInternal: false,
    preparedStatements: false,
    maxDepth: config.maxQueryDepth,
    maxFields: config.maxQueryFields,
    stringifyNumeric: false,
    limits: new EngineLimits(config.limits),
  };
  return { state, opts };
}

export function sessionOf(c: GoldenCase): Session {
  const role = c.role ?? ADMIN_ROLE;
  return {
    role,
    isAdmin: role === ADMIN_ROLE,
    variables: { 'x-hasura-role': role, ...(c.session ?? {}) },
    backendOnlyPermissions: false,
    ...(c.relay ? { relay: true } : {}),
  };
}

/** The statements of a case: a query's one statement, or each mutation field's first one. */
export function generate(c: GoldenCase): GoldenStatement[] {
  const { state, opts } = goldenState();
  const session = sessionOf(c);
  const p = prepare(state, session, { query: c.query, variables: c.variables ?? {} }, opts.limits);
  if (p.op.type === 'query') {
    const { plan, values } = planQuery(p, opts);
    return plan.statements.map((s, i) => ({ text: s.compiled.text, values: values[i] ?? [] }));
  }
  // a mutation: the statement of each root field, as execute/mutation.ts's runner builds it
  const root = operationRoot(p, opts);
  const ctx = root.context();
  const ir = buildMutationIR(ctx, root.rootType, root.fields);
  const lookup = placeholderLookup(paramsByKey(ctx.params), null, session);
  const out: GoldenStatement[] = [];
  const bind = (statement: SQL) => {
    const compiled = compile(statement);
    out.push({ text: compiled.text, values: bindPlaceholders(compiled, lookup) });
  };
  for (const [, f] of ir.root) {
    const tr = new SelectTranslator();
    if (f.k === 'insert') {
      const dml = insertDml(tr, f.ins, f.ins.rows);
      bind(
        outputReadsTables(f.output)
          ? fetchStatement(f.ins.table, dml)
          : answerStatement(tr, f.ins.table, dml, f.output),
      );
    } else if (f.k === 'update') {
      for (const b of f.batches) {
        const dml = updateDml(tr, f.table, b, f.permFilter, f.check);
        bind(
          outputReadsTables(f.output)
            ? fetchStatement(f.table, dml)
            : answerStatement(tr, f.table, dml, f.output),
        );
      }
    } else if (f.k === 'delete') {
      const dml = deleteDml(tr, f.table, f.permFilter, f.where);
      bind(
        outputReadsTables(f.output)
          ? fetchStatement(f.table, dml)
          : answerStatement(tr, f.table, dml, f.output),
      );
    }
  }
  return out;
}

/** The reviewed file of a case: the request, then each statement and its parameters. */
export function render(c: GoldenCase, statements: GoldenStatement[]): string {
  const head = [
    `-- ${c.name}: ${c.about}`,
    `-- role: ${c.role ?? ADMIN_ROLE}${c.session ? `, session: ${JSON.stringify(c.session)}` : ''}`,
    ...c.query
      .trim()
      .split('\n')
      .map((l) => `-- ${l}`),
    ...(c.variables ? [`-- variables: ${JSON.stringify(c.variables)}`] : []),
  ];
  const body = statements.map((s) => `${s.text};\n-- parameters: ${JSON.stringify(s.values)}`);
  return `${[...head, '', ...body].join('\n')}\n`;
}

export const caseFile = (c: GoldenCase): string => path.join(CASES_DIR, `${c.name}.sql`);
