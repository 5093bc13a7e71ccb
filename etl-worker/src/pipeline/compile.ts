/**
 * Declaration → decoder. compilePipeline checks a row of etl.pipelines against the target table
 * as a whole, so a declaration that cannot work fails when it is loaded (with the key to fix),
 * not message by message; what it returns decodes without re-reading the declaration.
 */
import type { ColumnType, ElementType } from './coerce.ts';
import { columnTypeOf, compileCoercer, isCompatible, isNumericType } from './coerce.ts';
import type { DecodePlan, FieldPlan, TransformPlan } from './decode.ts';
import { createDecoder } from './decode.ts';
import type { CompiledExpression, ExpressionScope, ScopeEntry, StaticType } from './expression.ts';
import { compileExpression, ExpressionError } from './expression.ts';
import type { JsonPath } from './json-path.ts';
import { compileJsonPath, JsonPathError } from './json-path.ts';
import type { TimeParser } from './time.ts';
import { compileTimeFormat, TimeFormatError } from './time.ts';
import type {
  CompiledPipeline,
  OutputColumn,
  PipelineRow,
  TableColumn,
  TargetTable,
} from './types.ts';
import { PipelineError } from './types.ts';
import { compileUnitConversion, UnitError } from './units.ts';

/** The column an entity declaration fills: the id of the entity in public.entities. */
export const ENTITY_ID_COLUMN = 'entity_id';

const MAPPING_KEYS = new Set(['path', 'type', 'required', 'unit']);
const UNIT_KEYS = new Set(['from', 'to']);
const ENTITY_KEYS = new Set(['kind', 'key', 'name']);
const TRANSFORM_KEYS = new Set(['column', 'expr']);
const FILTER_KEYS = new Set(['expr']);
const LATE_ACTIONS = new Set(['accept', 'drop', 'dead_letter']);
const ON_DUPLICATE = new Set(['ignore', 'update']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** What an expression of static type `t` may fill (runtime coercion checks the rest). */
function canFill(t: StaticType, column: ElementType): boolean {
  if (t === 'any' || t === 'null' || column === 'jsonb' || column === 'json') return true;
  if (t === 'boolean') return column === 'bool' || column === 'text';
  if (t === 'number') return isNumericType(column) || column === 'text';
  return column === 'text' || column === 'timestamptz';
}

function scopeEntry(index: number, type: ColumnType): ScopeEntry | undefined {
  const e = type.element;
  if (isNumericType(e)) {
    return { index, type: 'number', numericString: e === 'numeric' || e === 'int8' };
  }
  if (e === 'text' || e === 'timestamptz') return { index, type: 'string', numericString: false };
  if (e === 'bool') return { index, type: 'boolean', numericString: false };
  // json(b) columns hold serialized JSON: a $.path into the message is what an expression wants
  return undefined;
}

export function compilePipeline(row: PipelineRow, table: TargetTable): CompiledPipeline {
  const pipeline = row.name;
  const fail = (key: string, reason: string): never => {
    throw new PipelineError(pipeline, key, reason);
  };
  const tableName = `${table.schema}.${table.name}`;
  const tableColumns = new Map<string, TableColumn>(table.columns.map((c) => [c.name, c]));

  const column = (key: string, name: unknown): TableColumn => {
    if (typeof name !== 'string' || name === '') {
      return fail(key, `expected a column name, got ${describe(name)}`);
    }
    const c = tableColumns.get(name);
    return c ?? fail(key, `${tableName} has no column ${JSON.stringify(name)}`);
  };
  const typeOf = (key: string, c: TableColumn): ColumnType =>
    columnTypeOf(c.sqlType) ??
    fail(key, `column ${c.name} has type ${c.sqlType}, which pipelines cannot load`);
  const path = (key: string, source: unknown): JsonPath => {
    if (typeof source !== 'string')
      return fail(key, `expected a JSON path, got ${describe(source)}`);
    try {
      return compileJsonPath(source);
    } catch (e) {
      if (e instanceof JsonPathError) {
        return fail(
          key,
          `invalid JSON path ${JSON.stringify(source)}: ${e.reason} (at ${e.position + 1})`,
        );
      }
      throw e;
    }
  };
  const onlyKeys = (key: string, obj: Record<string, unknown>, allowed: Set<string>): void => {
    for (const k of Object.keys(obj)) {
      if (!allowed.has(k)) fail(`${key}.${k}`, `unknown key (expected ${[...allowed].join(', ')})`);
    }
  };
  const expression = (key: string, source: unknown, scope: ExpressionScope): CompiledExpression => {
    if (typeof source !== 'string')
      return fail(key, `expected an expression, got ${describe(source)}`);
    try {
      return compileExpression(source, scope);
    } catch (e) {
      if (e instanceof ExpressionError)
        return fail(key, `${e.message} in ${JSON.stringify(source)}`);
      throw e;
    }
  };

  // --- where rows go
  if (row.target_schema !== table.schema || row.target_table !== table.name) {
    fail(
      'target_table',
      `the declaration targets ${row.target_schema}.${row.target_table}, but was compiled against ${tableName}`,
    );
  }
  if (
    !Array.isArray(row.topics) ||
    row.topics.length === 0 ||
    row.topics.some((t) => typeof t !== 'string' || t === '')
  ) {
    fail('topics', 'expected at least one topic name');
  }

  // --- time
  const timeColumn = column('time_column', row.time_column);
  if (typeOf('time_column', timeColumn).element !== 'timestamptz') {
    fail(
      'time_column',
      `${timeColumn.name} is ${timeColumn.sqlType}, not timestamp with time zone`,
    );
  }
  const timePath = path('time_field', row.time_field);
  let parseTime: TimeParser;
  try {
    parseTime = compileTimeFormat(row.time_format);
  } catch (e) {
    if (e instanceof TimeFormatError) fail('time_format', e.reason);
    throw e;
  }

  // --- entity
  let entityKind: string | null = null;
  let entity: DecodePlan['entity'] = null;
  if (row.entity !== null && row.entity !== undefined) {
    if (!isObject(row.entity)) {
      fail('entity', `expected {"kind": …, "key": "$.…"} or null, got ${describe(row.entity)}`);
    }
    const e = row.entity as Record<string, unknown>;
    onlyKeys('entity', e, ENTITY_KEYS);
    if (typeof e.kind !== 'string' || e.kind === '') {
      fail('entity.kind', `expected the entity kind, e.g. "sensor", got ${describe(e.kind)}`);
    }
    entityKind = e.kind as string;
    const key = path('entity.key', e.key);
    const name = e.name === undefined || e.name === null ? null : path('entity.name', e.name);
    entity = { key, name };
    const idColumn = tableColumns.get(ENTITY_ID_COLUMN);
    if (idColumn === undefined) {
      fail('entity', `${tableName} has no ${ENTITY_ID_COLUMN} column for the entity`);
    } else if (typeOf('entity', idColumn).element !== 'int8') {
      fail('entity', `${ENTITY_ID_COLUMN} is ${idColumn.sqlType}, not bigint`);
    }
  }

  // the columns the loader writes besides the value columns
  const reserved = (key: string, c: TableColumn): void => {
    if (c.name === timeColumn.name)
      fail(key, `${c.name} is the time column; it comes from time_field`);
    if (c.name === ENTITY_ID_COLUMN) {
      fail(key, `${ENTITY_ID_COLUMN} comes from the entity declaration`);
    }
  };

  // --- mapping
  if (!isObject(row.mapping)) {
    fail('mapping', `expected an object of column → {"path": …}, got ${describe(row.mapping)}`);
  }
  const outputs: OutputColumn[] = [];
  const filled = new Map<string, string>();
  const scope = new Map<string, ScopeEntry>();
  const fields: FieldPlan[] = [];

  for (const [name, spec] of Object.entries(row.mapping as Record<string, unknown>)) {
    const key = `mapping.${name}`;
    const c = column(key, name);
    reserved(key, c);
    if (!isObject(spec)) {
      fail(key, `expected {"path": "$.field", …}, got ${describe(spec)}`);
    }
    const s = spec as Record<string, unknown>;
    onlyKeys(key, s, MAPPING_KEYS);
    if (s.path === undefined) fail(`${key}.path`, 'missing: where the value is in the message');
    const fieldPath = path(`${key}.path`, s.path);
    const type = typeOf(key, c);

    let declared: ColumnType | undefined;
    if (s.type !== undefined && s.type !== null) {
      if (typeof s.type !== 'string')
        fail(`${key}.type`, `expected a type name, got ${describe(s.type)}`);
      declared = columnTypeOf(s.type as string);
      if (declared === undefined) {
        fail(
          `${key}.type`,
          `unknown type ${JSON.stringify(s.type)} (float8, float4, int2, int4, int8, numeric, text, bool, jsonb, json, timestamptz)`,
        );
      } else if (!isCompatible(declared.element, type.element)) {
        fail(`${key}.type`, `a ${s.type as string} field cannot go into ${name} (${c.sqlType})`);
      }
    }

    if (s.required !== undefined && s.required !== null && typeof s.required !== 'boolean') {
      fail(`${key}.required`, `expected true or false, got ${describe(s.required)}`);
    }

    let unit: FieldPlan['unit'] = null;
    if (s.unit !== undefined && s.unit !== null) {
      if (!isObject(s.unit))
        fail(`${key}.unit`, `expected {"from": …, "to": …}, got ${describe(s.unit)}`);
      const u = s.unit as Record<string, unknown>;
      onlyKeys(`${key}.unit`, u, UNIT_KEYS);
      if (typeof u.from !== 'string')
        fail(`${key}.unit.from`, `expected a unit, got ${describe(u.from)}`);
      if (typeof u.to !== 'string')
        fail(`${key}.unit.to`, `expected a unit, got ${describe(u.to)}`);
      const from = u.from as string;
      const to = u.to as string;
      if (type.element !== 'float8' && type.element !== 'float4' && type.element !== 'numeric') {
        fail(
          `${key}.unit`,
          `unit conversion needs a float or numeric column; ${name} is ${c.sqlType}`,
        );
      }
      try {
        unit = { convert: compileUnitConversion(from, to), from, to };
      } catch (e) {
        if (e instanceof UnitError) {
          fail(e.side === 'both' ? `${key}.unit` : `${key}.unit.${e.side}`, e.reason);
        }
        throw e;
      }
    }

    const index = outputs.length;
    outputs.push({ name, sqlType: type.element });
    filled.set(name, key);
    const entry = scopeEntry(index, type);
    if (entry !== undefined) scope.set(name, entry);
    fields.push({
      column: name,
      path: fieldPath,
      // a NOT NULL column cannot take the null a missing optional field would give
      required: s.required === true || c.notNull,
      coerce: compileCoercer(type, declared),
      unit,
      coerceConverted: compileCoercer(type),
    });
  }

  const scopeView: ExpressionScope = { resolve: (n) => scope.get(n) };

  // --- transforms
  if (!Array.isArray(row.transforms)) {
    fail(
      'transforms',
      `expected a list of {"column": …, "expr": …}, got ${describe(row.transforms)}`,
    );
  }
  const transforms: TransformPlan[] = [];
  (row.transforms as unknown[]).forEach((t, i) => {
    const key = `transforms[${i}]`;
    if (!isObject(t)) fail(key, `expected {"column": …, "expr": …}, got ${describe(t)}`);
    const spec = t as Record<string, unknown>;
    onlyKeys(key, spec, TRANSFORM_KEYS);
    const c = column(`${key}.column`, spec.column);
    reserved(`${key}.column`, c);
    const before = filled.get(c.name);
    if (before !== undefined) fail(`${key}.column`, `${c.name} is already filled by ${before}`);
    const type = typeOf(`${key}.column`, c);
    if (spec.expr === undefined) fail(`${key}.expr`, 'missing: the expression to compute');
    const compiled = expression(`${key}.expr`, spec.expr, scopeView);
    if (!canFill(compiled.type, type.element)) {
      fail(`${key}.expr`, `gives a ${compiled.type}, but ${c.name} is ${c.sqlType}`);
    }
    const index = outputs.length;
    outputs.push({ name: c.name, sqlType: type.element });
    filled.set(c.name, key);
    const entry = scopeEntry(index, type);
    if (entry !== undefined) scope.set(c.name, entry);
    transforms.push({
      column: c.name,
      expression: compiled,
      coerce: compileCoercer(type),
      notNull: c.notNull,
    });
  });

  // --- filters
  if (!Array.isArray(row.filters)) {
    fail('filters', `expected a list of {"expr": …}, got ${describe(row.filters)}`);
  }
  const filters = (row.filters as unknown[]).map((f, i) => {
    const key = `filters[${i}]`;
    if (!isObject(f)) fail(key, `expected {"expr": …}, got ${describe(f)}`);
    const spec = f as Record<string, unknown>;
    onlyKeys(key, spec, FILTER_KEYS);
    if (spec.expr === undefined) fail(`${key}.expr`, 'missing: the condition rows must meet');
    const compiled = expression(`${key}.expr`, spec.expr, scopeView);
    if (compiled.type !== 'boolean' && compiled.type !== 'any') {
      fail(`${key}.expr`, `a filter is a condition, but this gives a ${compiled.type}`);
    }
    return compiled;
  });

  const isFilled = (name: string): boolean =>
    name === timeColumn.name || (name === ENTITY_ID_COLUMN && entity !== null) || filled.has(name);

  // --- key columns
  if (!Array.isArray(row.key_columns) || row.key_columns.length === 0) {
    fail('key_columns', 'expected at least one column');
  }
  const seenKeys = new Set<string>();
  row.key_columns.forEach((name, i) => {
    const key = `key_columns[${i}]`;
    const c = column(key, name);
    if (seenKeys.has(c.name)) fail(key, `${c.name} is listed twice`);
    seenKeys.add(c.name);
    if (c.name === ENTITY_ID_COLUMN && entity === null) {
      fail(key, `${ENTITY_ID_COLUMN} is only filled when the pipeline declares an entity`);
    }
    if (!isFilled(c.name)) fail(key, `nothing fills ${c.name}: map it or derive it`);
  });

  // --- rollups
  if (!Array.isArray(row.rollup_columns)) fail('rollup_columns', 'expected a list of columns');
  const seenRollups = new Set<string>();
  row.rollup_columns.forEach((name, i) => {
    const key = `rollup_columns[${i}]`;
    const c = column(key, name);
    if (seenRollups.has(c.name)) fail(key, `${c.name} is listed twice`);
    seenRollups.add(c.name);
    if (!filled.has(c.name)) fail(key, `${c.name} is not a mapped or derived value column`);
    const type = typeOf(key, c);
    if (!isNumericType(type.element)) fail(key, `${c.name} is ${c.sqlType}, not numeric`);
  });

  // --- columns nothing fills
  for (const c of table.columns) {
    if (c.notNull && !c.hasDefault && !isFilled(c.name)) {
      if (c.name === ENTITY_ID_COLUMN) {
        fail('entity', `${tableName}.${ENTITY_ID_COLUMN} is NOT NULL: declare the entity`);
      }
      fail('mapping', `${c.name} is NOT NULL without a default, and nothing fills it`);
    }
  }

  // --- lateness, duplicates
  const lateAfterS = row.late_after_s;
  if (
    lateAfterS !== null &&
    !(typeof lateAfterS === 'number' && lateAfterS >= 0 && Number.isFinite(lateAfterS))
  ) {
    fail(
      'late_after',
      `expected a non-negative number of seconds or null, got ${describe(lateAfterS)}`,
    );
  }
  if (!LATE_ACTIONS.has(row.late_action)) {
    fail('late_action', `expected accept, drop or dead_letter, got ${describe(row.late_action)}`);
  }
  if (!ON_DUPLICATE.has(row.on_duplicate)) {
    fail('on_duplicate', `expected ignore or update, got ${describe(row.on_duplicate)}`);
  }
  if (table.retentionS !== null && !(table.retentionS > 0)) {
    fail('target_table', `retention of ${tableName} must be positive, got ${table.retentionS}`);
  }

  const plan: DecodePlan = {
    entity,
    time: { path: timePath, parse: parseTime },
    fields,
    transforms,
    filters,
    retentionS: table.retentionS,
    lateAfterS,
    lateAction: row.late_action,
  };

  return {
    name: pipeline,
    version: row.version,
    topics: [...row.topics],
    schema: table.schema,
    table: table.name,
    timeColumn: timeColumn.name,
    entityKind,
    columns: outputs,
    keyColumns: [...row.key_columns],
    rollupColumns: [...row.rollup_columns],
    onDuplicate: row.on_duplicate,
    retentionS: table.retentionS,
    decode: createDecoder(plan),
  };
}
