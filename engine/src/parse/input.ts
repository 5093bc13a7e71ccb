/**
 * Input values against the schema model, as Hasura's input parsers see them
 * (lib/schema-parsers Internal/{Input,Scalars,TypeChecking}.hs): a value is a GraphQL literal or a
 * JSON value from a variable; a variable is type-checked against the location's type, then
 * replaced by its value; nulls, lists, objects, enums and scalars fail with Hasura's messages and
 * paths.
 *
 * Scalar leaves that come straight from a variable remember the variable's name, so the IR
 * builder can turn them into placeholders (one plan for every set of variable values). Every
 * other use of a variable's value shapes the plan and is recorded as "structural".
 */
import { Kind, type ConstValueNode, type TypeNode, type ValueNode } from 'graphql';
import { QErr, withPath, type PathElem } from '../errors.ts';
import { checkIntegerColumn, intLiteral, outOfBounds } from './numbers.ts';
import { checkGeoJson } from './geojson.ts';
import {
  namedOf,
  showType,
  type InputValueDef,
  type RoleSchema,
  type ScalarParse,
  type TypeRef,
} from '../schema/types.ts';

export interface VariableInfo {
  name: string;
  type: TypeRef;
  /** JSON value from the request; undefined when not given */
  value: unknown;
  provided: boolean;
  defaultValue: ConstValueNode | undefined;
}

export interface InputContext {
  schema: RoleSchema;
  variables: Map<string, VariableInfo>;
  /** variables whose values shape the plan */
  structural: Set<string>;
  /** lists and objects entered by coerce (its recursion), checked against MAX_VALUE_NESTING */
  nesting?: number;
}

/**
 * Deepest value coerce descends into. Requests are measured against the (lower) input-depth
 * setting before planning (limits/); this bound keeps the recursion within the stack whatever
 * reaches it.
 */
export const MAX_VALUE_NESTING = 128;

export type Src = { g: ValueNode } | { j: unknown };

export interface Leaf {
  leaf: true;
  /** JSON form of the value (never undefined) */
  json: unknown;
  /** set when the leaf is exactly a variable's value */
  fromVar?: string;
  use: LeafUse;
}

/** How a leaf was parsed, so a later request's variable value can be checked the same way. */
export interface LeafUse {
  parse: ScalarParse;
  scalar: string;
  pgType?: string;
  acceptsNull: boolean;
}

export interface EnumVal {
  enum: string;
  value: unknown;
}
export interface ObjVal {
  obj: Map<string, Coerced>;
  typeName: string;
}
export interface ListVal {
  list: Coerced[];
}
export type Coerced = Leaf | EnumVal | ObjVal | ListVal | null;

export const isLeaf = (c: Coerced): c is Leaf => c !== null && 'leaf' in c;
export const isObj = (c: Coerced): c is ObjVal => c !== null && 'obj' in c;
export const isList = (c: Coerced): c is ListVal => c !== null && 'list' in c;
export const isEnum = (c: Coerced): c is EnumVal => c !== null && 'enum' in c;

const fail = (message: string): never => {
  throw new QErr('validation-failed', message, 200);
};

export function q(name: string): string {
  return `'${name}'`;
}

function describeGql(v: ValueNode): string {
  switch (v.kind) {
    case Kind.INT:
      return 'an integer';
    case Kind.FLOAT:
      return 'a float';
    case Kind.STRING:
      return 'a string';
    case Kind.BOOLEAN:
      return 'a boolean';
    case Kind.NULL:
      return 'null';
    case Kind.ENUM:
      return 'an enum value';
    case Kind.LIST:
      return 'a list';
    case Kind.OBJECT:
      return 'an object';
    case Kind.VARIABLE:
      return `no value specified for variable ${q(v.name.value)}`;
  }
}

function describeJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
  if (Array.isArray(v)) return 'a list';
  return 'an object';
}

export const describeSrc = (s: Src): string => ('g' in s ? describeGql(s.g) : describeJson(s.j));

const mismatch = (typeName: string, expected: string, s: Src): never =>
  fail(`expected ${expected} for type ${q(typeName)}, but found ${describeSrc(s)}`);

export function isNullSrc(s: Src): boolean {
  return 'g' in s ? s.g.kind === Kind.NULL : s.j === null || s.j === undefined;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** GraphQL literal → JSON, substituting variables (Hasura's valueToJSON). */
export function gqlToJson(v: ValueNode, ctx: InputContext, expected?: TypeRef): unknown {
  switch (v.kind) {
    case Kind.INT:
      return intLiteral(v.value);
    case Kind.FLOAT:
      return Number(v.value);
    case Kind.STRING:
      return v.value;
    case Kind.BOOLEAN:
      return v.value;
    case Kind.NULL:
      return null;
    case Kind.ENUM:
      return v.value;
    case Kind.LIST:
      return v.values.map((x) => gqlToJson(x, ctx));
    case Kind.OBJECT: {
      const o: Record<string, unknown> = {};
      for (const f of v.fields) o[f.name.value] = gqlToJson(f.value, ctx);
      return o;
    }
    case Kind.VARIABLE: {
      const vi = ctx.variables.get(v.name.value);
      if (!vi) return fail(`unbound variable ${q(v.name.value)}`);
      if (expected) typeCheck(false, expected, vi);
      ctx.structural.add(vi.name);
      return variableJson(vi, ctx);
    }
  }
}

function variableJson(vi: VariableInfo, ctx: InputContext): unknown {
  if (vi.provided) return vi.value;
  if (vi.defaultValue) return gqlToJson(vi.defaultValue, ctx);
  return null;
}

function nullable(t: TypeRef): TypeRef {
  return t.kind === 'NON_NULL' ? t.of : t;
}

/** §5.8.5 All Variable Usages are Allowed, as Hasura checks it (no coercion between variables). */
export function typeCheck(locationHasDefault: boolean, location: TypeRef, v: VariableInfo): void {
  const allowed = (() => {
    const compatible = (l: TypeRef, t: TypeRef): boolean => {
      const ln = l.kind === 'NON_NULL';
      const vn = t.kind === 'NON_NULL';
      if (ln && !vn) return false;
      const li = nullable(l);
      const vi = nullable(t);
      if (li.kind === 'LIST' && vi.kind === 'LIST') return compatible(li.of, vi.of);
      if (li.kind === 'NAMED' && vi.kind === 'NAMED') return li.name === vi.name;
      return false;
    };
    const relaxed = (l: TypeRef, t: TypeRef) => compatible(nullable(l), nullable(t));
    if (location.kind !== 'NON_NULL') return relaxed(location, v.type);
    if (v.type.kind === 'NON_NULL') return relaxed(location, v.type);
    if (locationHasDefault) return relaxed(location, v.type);
    const hasNonNullDefault = v.defaultValue !== undefined && v.defaultValue.kind !== Kind.NULL;
    if (hasNonNullDefault) return relaxed(location, v.type);
    return false;
  })();
  if (!allowed) {
    fail(
      `variable ${q(v.name)} is declared as ${q(showType(v.type))}, but used where ${q(showType(location))} is expected`,
    );
  }
}

/**
 * Replace a variable by its value (type-checking it first). `undefined` = a variable without
 * value at a location that then reads as null.
 */
function peel(
  s: Src,
  location: TypeRef,
  ctx: InputContext,
  locationHasDefault = false,
): { src: Src; fromVar?: string } {
  if ('g' in s && s.g.kind === Kind.VARIABLE) {
    const vi = ctx.variables.get(s.g.name.value);
    if (!vi) return fail(`unbound variable ${q(s.g.name.value)}`);
    typeCheck(locationHasDefault, location, vi);
    if (vi.provided) return { src: { j: vi.value }, fromVar: vi.name };
    if (vi.defaultValue) return { src: { g: vi.defaultValue }, fromVar: vi.name };
    if (location.kind === 'NON_NULL')
      return fail(`no variable value specified for non-nullable variable ${q(vi.name)}`);
    return { src: { j: null }, fromVar: vi.name };
  }
  return { src: s };
}

/** Parse one scalar leaf (also used at bind time for placeholder values). */
export function parseScalarJson(json: unknown, use: LeafUse, src: Src = { j: json }): unknown {
  const name = use.scalar;
  switch (use.parse) {
    case 'column':
      if (json === null || json === undefined)
        return fail(`unexpected null value for type ${q(name)}`);
      checkIntegerColumn(json, use.pgType);
      if (use.pgType && /^(geometry|geography)\b/.test(use.pgType)) checkGeoJson(json);
      return json;
    case 'json':
      return json;
    case 'bool':
      if (typeof json === 'boolean') return json;
      return mismatch(name, 'a boolean', src);
    case 'string':
      if (typeof json === 'string') return json;
      return mismatch(name, 'a string', src);
    case 'float':
      if (typeof json === 'number') return json;
      return mismatch(name, 'a float', src);
    case 'int':
    case 'nonneg': {
      const isGqlInt = 'g' in src ? src.g.kind === Kind.INT : typeof json === 'number';
      if (isGqlInt && typeof json === 'bigint') throw outOfBounds(json);
      if (isGqlInt && typeof json === 'number' && (use.parse === 'int' || json >= 0)) {
        if (!Number.isInteger(json) || json > 2147483647 || json < -2147483648) {
          throw outOfBounds(json);
        }
        return json;
      }
      return mismatch(
        name,
        use.parse === 'int' ? 'a 32-bit integer' : 'a non-negative 32-bit integer',
        src,
      );
    }
    case 'bigint': {
      if (typeof json === 'bigint') return json.toString();
      if (typeof json === 'number' && ('g' in src ? src.g.kind === Kind.INT : true)) {
        if (!Number.isInteger(json)) throw outOfBounds(json);
        return json;
      }
      if (typeof json === 'string' && /^\d+$/.test(json)) return json;
      return mismatch(name, 'a 32-bit integer, or a 64-bit integer represented as a string', src);
    }
  }
}

function scalarUse(def: {
  type: TypeRef;
  parse?: ScalarParse;
  pgType?: string;
  nullable?: boolean;
}): LeafUse {
  const scalar = namedOf(def.type);
  const parse: ScalarParse =
    def.parse ??
    (scalar === 'Boolean'
      ? 'bool'
      : scalar === 'String'
        ? 'string'
        : scalar === 'Int'
          ? 'int'
          : scalar === 'Float'
            ? 'float'
            : 'column');
  return { parse, scalar, pgType: def.pgType, acceptsNull: def.nullable ?? false };
}

/**
 * Parse a value at a location of type `type`. `def` carries the parser flavour of the location
 * (scalar parse, whether explicit null is accepted).
 */
export function coerce(
  s: Src,
  type: TypeRef,
  def: { parse?: ScalarParse; pgType?: string; nullable?: boolean },
  ctx: InputContext,
  locationHasDefault = false,
): Coerced {
  const nesting = (ctx.nesting ?? 0) + 1;
  if (nesting > MAX_VALUE_NESTING)
    return fail(`an input value nests more than ${MAX_VALUE_NESTING} levels`);
  ctx.nesting = nesting;
  try {
    return coerceAt(s, type, def, ctx, locationHasDefault);
  } finally {
    ctx.nesting = nesting - 1;
  }
}

function coerceAt(
  s: Src,
  type: TypeRef,
  def: { parse?: ScalarParse; pgType?: string; nullable?: boolean },
  ctx: InputContext,
  locationHasDefault: boolean,
): Coerced {
  // the location type used for variable type-checking: optional fields are nullable
  const peeled = peel(s, def.nullable ? nullable(type) : type, ctx, locationHasDefault);
  const src = peeled.src;
  const inner = nullable(type);
  if (isNullSrc(src) && def.nullable) return null;
  if (
    peeled.fromVar &&
    !(inner.kind === 'NAMED' && ctx.schema.types.get(inner.name)?.kind === 'SCALAR')
  ) {
    ctx.structural.add(peeled.fromVar);
  }
  if (inner.kind === 'LIST') {
    const el = inner.of;
    const elDef = { parse: def.parse, pgType: def.pgType, nullable: el.kind !== 'NON_NULL' };
    if ('g' in src) {
      if (src.g.kind === Kind.LIST) {
        return {
          list: src.g.values.map((v, i) => withPath([i], () => coerce({ g: v }, el, elDef, ctx))),
        };
      }
      if (src.g.kind === Kind.NULL) return fail('expected a list, but found null');
      return { list: [withPath([0], () => coerce(src, el, elDef, ctx))] };
    }
    if (Array.isArray(src.j))
      return { list: src.j.map((v, i) => withPath([i], () => coerce({ j: v }, el, elDef, ctx))) };
    if (src.j === null || src.j === undefined) return fail('expected a list, but found null');
    return { list: [withPath([0], () => coerce(src, el, elDef, ctx))] };
  }
  const typeName = namedOf(inner);
  const t = ctx.schema.types.get(typeName);
  if (!t) return fail(`unknown type ${q(typeName)}`);
  switch (t.kind) {
    case 'INPUT_OBJECT': {
      let entries: Array<[string, Src]>;
      if ('g' in src && src.g.kind === Kind.OBJECT) {
        entries = src.g.fields.map((f) => [f.name.value, { g: f.value }]);
      } else if (
        !('g' in src) &&
        src.j !== null &&
        typeof src.j === 'object' &&
        !Array.isArray(src.j)
      ) {
        entries = Object.entries(src.j as Record<string, unknown>).map(([k, v]) => {
          if (!GRAPHQL_NAME.test(k))
            fail(
              `variable value contains object with key "${k}", which is not a legal GraphQL name`,
            );
          return [k, { j: v }];
        });
      } else {
        return mismatch(typeName, 'an object', src);
      }
      const given = new Map(entries);
      for (const k of given.keys()) {
        if (!t.fields.has(k))
          withPath([k], () => fail(`field ${q(k)} not found in type: ${q(typeName)}`));
      }
      const out = new Map<string, Coerced>();
      for (const f of t.fields.values()) {
        const v = given.get(f.name);
        withPath([f.name], () => {
          if (v === undefined) {
            if (f.defaultValue != null) {
              out.set(f.key ?? f.name, coerce({ g: parseLiteral(f.defaultValue) }, f.type, f, ctx));
            } else if (f.type.kind === 'NON_NULL') {
              // Hasura reports a missing required field at the field's own path
              fail(`missing required field ${q(f.name)}`);
            }
            return;
          }
          out.set(f.key ?? f.name, coerce(v, f.type, f, ctx, f.defaultValue != null));
        });
      }
      return { obj: out, typeName };
    }
    case 'ENUM': {
      let name: string | undefined;
      if ('g' in src && src.g.kind === Kind.ENUM) name = src.g.value;
      else if (!('g' in src) && typeof src.j === 'string' && GRAPHQL_NAME.test(src.j)) name = src.j;
      else return mismatch(typeName, 'an enum value', src);
      const ev = t.values.find((x) => x.name === name);
      if (!ev) {
        return fail(
          `expected one of the values [${t.values.map((x) => q(x.name)).join(', ')}] for type ${q(typeName)}, but found ${q(name)}`,
        );
      }
      // a column typed by an enum table's enum: its value is the key's text, a parameter like any
      if (def.parse === 'column') {
        const use = scalarUse({ type: inner, parse: 'column', pgType: def.pgType });
        return { leaf: true, json: ev.value ?? name, use };
      }
      return { enum: name, value: ev.value };
    }
    case 'SCALAR': {
      const use = scalarUse({
        type: inner,
        parse: def.parse,
        pgType: def.pgType,
        nullable: def.nullable,
      });
      const json = 'g' in src ? gqlToJson(src.g, ctx) : src.j;
      const parsed = parseScalarJson(json, use, src);
      const leaf: Leaf = { leaf: true, json: parsed, use };
      if (peeled.fromVar) leaf.fromVar = peeled.fromVar;
      return leaf;
    }
    case 'OBJECT':
    case 'INTERFACE':
      return fail(`${q(typeName)} is not an input type`);
  }
}

/** A default value's literal text (from the schema model) as a GraphQL value node. */
function parseLiteral(text: string): ValueNode {
  if (text === 'true' || text === 'false') return { kind: Kind.BOOLEAN, value: text === 'true' };
  if (text === 'null') return { kind: Kind.NULL };
  if (/^-?\d+$/.test(text)) return { kind: Kind.INT, value: text };
  if (/^-?\d/.test(text)) return { kind: Kind.FLOAT, value: text };
  if (text.startsWith('"')) return { kind: Kind.STRING, value: JSON.parse(text) as string };
  return { kind: Kind.ENUM, value: text };
}

/** Argument list of a field or directive, Hasura-style (unknown args checked by the caller). */
export function coerceArgs(
  defs: InputValueDef[],
  given: Map<string, ValueNode>,
  ctx: InputContext,
): Map<string, Coerced> {
  const out = new Map<string, Coerced>();
  for (const d of defs) {
    const v = given.get(d.name);
    withPath([d.name], () => {
      if (v === undefined) {
        if (d.defaultValue != null)
          out.set(d.key ?? d.name, coerce({ g: parseLiteral(d.defaultValue) }, d.type, d, ctx));
        else if (d.type.kind === 'NON_NULL') fail(`missing required field ${q(d.name)}`);
        return;
      }
      out.set(d.key ?? d.name, coerce({ g: v }, d.type, d, ctx, d.defaultValue != null));
    });
  }
  return out;
}

/** Parse a variable definition's type from the AST into a TypeRef. */
export function typeFromAst(t: TypeNode): TypeRef {
  switch (t.kind) {
    case Kind.NAMED_TYPE:
      return { kind: 'NAMED', name: t.name.value };
    case Kind.LIST_TYPE:
      return { kind: 'LIST', of: typeFromAst(t.type) };
    case Kind.NON_NULL_TYPE:
      return { kind: 'NON_NULL', of: typeFromAst(t.type) };
  }
}

export type { PathElem };
