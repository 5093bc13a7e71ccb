/**
 * The per-message half of a pipeline: raw bytes → JSON object (parseMessage), and JSON object →
 * row (the decoder compilePipeline builds from a DecodePlan). Everything that can be decided from
 * the declaration was decided at compile time; this file only walks precompiled steps, and
 * allocates little beyond the row itself when a message is good.
 */
// Coercers and expressions signal failure with an object (values are primitives), which a typeof
// test tells apart without instanceof.
import type { Coercer, Scalar } from './coerce.ts';
import { codePoints } from './coerce.ts';
import type { CompiledExpression, Value } from './expression.ts';
import type { JsonPath } from './json-path.ts';
import { nameTextProblem } from './strings.ts';
import { END_TIME_US, formatTimeUs, MIN_TIME_US, type TimeParser } from './time.ts';
import type {
  DeadLetterCode,
  DecodeContext,
  DecodeResult,
  RejectedMessage,
  SkippedMessage,
} from './types.ts';
import type { UnitConversion } from './units.ts';

export interface FieldPlan {
  column: string;
  path: JsonPath;
  /** missing or null is a missing_field rejection (declared required, or the column is NOT NULL) */
  required: boolean;
  /** declared type, then column type */
  coerce: Coercer;
  unit: { convert: UnitConversion; from: string; to: string } | null;
  /** the column type alone, for the converted value */
  coerceConverted: Coercer;
}

export interface TransformPlan {
  column: string;
  expression: CompiledExpression;
  coerce: Coercer;
  notNull: boolean;
}

export interface DecodePlan {
  entity: { key: JsonPath; name: JsonPath | null } | null;
  time: { path: JsonPath; parse: TimeParser };
  fields: FieldPlan[];
  transforms: TransformPlan[];
  filters: CompiledExpression[];
  retentionS: number | null;
  lateAfterS: number | null;
  lateAction: 'accept' | 'drop' | 'dead_letter';
}

export const MAX_ENTITY_KEY_LENGTH = 200;
const MAX_SHOWN = 60;

/** A value as a reason shows it: JSON, at most 60 characters. */
export function abbreviate(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function reject(code: DeadLetterCode, reason: string): RejectedMessage {
  return { kind: 'error', code, reason };
}

function skip(reason: string): SkippedMessage {
  return Object.freeze({ kind: 'skip', reason }) as SkippedMessage;
}

export type Decoder = (message: Record<string, unknown>, ctx: DecodeContext) => DecodeResult;

export function createDecoder(plan: DecodePlan): Decoder {
  const entity = plan.entity;
  const entityKey = entity?.key ?? null;
  const entityName = entity?.name ?? null;
  const timePath = plan.time.path;
  const getTime = timePath.get;
  const parseTime = plan.time.parse;
  const fields = plan.fields;
  const nFields = fields.length;
  const transforms = plan.transforms;
  const nTransforms = transforms.length;
  const filters = plan.filters;
  const nFilters = filters.length;
  const blank: Scalar[] = new Array<Scalar>(nFields + nTransforms).fill(null);
  const retentionUs = plan.retentionS === null ? null : plan.retentionS * 1e6;
  const lateUs = plan.lateAfterS === null ? null : plan.lateAfterS * 1e6;
  const lateAction = plan.lateAction;
  const minUs = MIN_TIME_US;
  const endUs = END_TIME_US;
  // skips carry no per-message detail, so each is made once and shared
  const lateSkip = skip(`late: older than late_after (${plan.lateAfterS} s)`);
  const filterSkips = filters.map((f) => skip(`filter: ${f.source}`));

  return (message, ctx) => {
    let key: string | null = null;
    let name: string | null = null;
    if (entityKey !== null) {
      const k = entityKey.get(message);
      if (typeof k === 'string') {
        if (
          k.length === 0 ||
          (k.length > MAX_ENTITY_KEY_LENGTH && codePoints(k) > MAX_ENTITY_KEY_LENGTH)
        ) {
          return reject(
            'invalid_value',
            `${entityKey.source}: the entity key must have 1 to ${MAX_ENTITY_KEY_LENGTH} characters, got ${abbreviate(k)}`,
          );
        }
        const problem = nameTextProblem(k);
        if (problem !== null) {
          return reject('invalid_value', `${entityKey.source}: the entity key ${problem}`);
        }
        key = k;
      } else if (typeof k === 'number' && Number.isFinite(k)) {
        key = String(k);
      } else if (k === undefined || k === null) {
        return reject('missing_field', `${entityKey.source}: the entity key is missing`);
      } else {
        return reject(
          'invalid_value',
          `${entityKey.source}: the entity key must be a string or a number, got ${abbreviate(k)}`,
        );
      }
      if (entityName !== null) {
        const n = entityName.get(message);
        if (typeof n === 'string') {
          const problem = nameTextProblem(n);
          if (problem !== null) {
            return reject('invalid_value', `${entityName.source}: the entity name ${problem}`);
          }
          name = n;
        } else if (typeof n === 'number') name = String(n);
        else if (n !== undefined && n !== null) {
          return reject(
            'invalid_value',
            `${entityName.source}: the entity name must be a string, got ${abbreviate(n)}`,
          );
        }
      }
    }

    const rawTime = getTime(message);
    if (rawTime === undefined || rawTime === null) {
      return reject('missing_field', `${timePath.source}: the time is missing`);
    }
    const tsUs = parseTime(rawTime);
    if (typeof tsUs === 'string') {
      return reject('invalid_time', `${timePath.source}: ${tsUs}, got ${abbreviate(rawTime)}`);
    }
    if (tsUs < minUs || tsUs >= endUs) {
      return reject(
        'out_of_range',
        `${timePath.source}: ${abbreviate(rawTime)} is outside the years 1970 to 9999`,
      );
    }
    const nowUs = ctx.nowMs * 1000;
    if (tsUs > nowUs + ctx.maxFutureMs * 1000) {
      return reject(
        'out_of_range',
        `${timePath.source}: ${formatTimeUs(tsUs)} is more than ${ctx.maxFutureMs / 1000} s ahead of ${formatTimeUs(nowUs)}`,
      );
    }
    if (retentionUs !== null && tsUs < nowUs - retentionUs) {
      return reject(
        'out_of_range',
        `${timePath.source}: ${formatTimeUs(tsUs)} is older than the table's retention (${retentionUs / 1e6} s)`,
      );
    }
    if (lateUs !== null && lateAction !== 'accept' && tsUs < nowUs - lateUs) {
      if (lateAction === 'drop') return lateSkip;
      return reject(
        'late',
        `${timePath.source}: ${formatTimeUs(tsUs)} is older than late_after (${lateUs / 1e6} s)`,
      );
    }

    // copying an all-null template gives a packed array that never changes elements kind as
    // numbers and strings go in, unlike new Array(n)
    const values = blank.slice();
    for (let i = 0; i < nFields; i++) {
      const f = fields[i] as FieldPlan;
      const raw = f.path.get(message);
      if (raw === undefined || raw === null) {
        if (f.required) {
          return reject(
            'missing_field',
            `${f.path.source}: required${raw === null ? ', got null' : ' but missing'}`,
          );
        }
        values[i] = null;
        continue;
      }
      let v = f.coerce(raw);
      if (typeof v === 'object' && v !== null) {
        return reject('invalid_value', `${f.path.source}: ${v.reason}, got ${abbreviate(raw)}`);
      }
      if (f.unit !== null && v !== null) {
        v = f.coerceConverted(f.unit.convert(typeof v === 'string' ? Number(v) : (v as number)));
        if (typeof v === 'object' && v !== null) {
          return reject(
            'invalid_value',
            `${f.path.source}: ${v.reason} after converting ${f.unit.from} to ${f.unit.to}, got ${abbreviate(raw)}`,
          );
        }
      }
      values[i] = v;
    }

    for (let j = 0; j < nTransforms; j++) {
      const t = transforms[j] as TransformPlan;
      const r = t.expression.evaluate(values as Value[], message);
      if (typeof r === 'object' && r !== null) {
        return reject('expression_error', `${t.column} = ${t.expression.source}: ${r.reason}`);
      }
      if (r === null) {
        if (t.notNull) {
          return reject(
            'expression_error',
            `${t.column} = ${t.expression.source}: null, but ${t.column} is NOT NULL`,
          );
        }
        values[nFields + j] = null;
        continue;
      }
      const v = t.coerce(r);
      if (typeof v === 'object' && v !== null) {
        return reject(
          'expression_error',
          `${t.column} = ${t.expression.source}: ${v.reason}, got ${abbreviate(r)}`,
        );
      }
      values[nFields + j] = v;
    }

    for (let k = 0; k < nFilters; k++) {
      const f = filters[k] as CompiledExpression;
      const r = f.evaluate(values as Value[], message);
      if (r === true) continue;
      if (r === false || r === null) return filterSkips[k] as SkippedMessage;
      if (typeof r === 'object' && r !== null) {
        return reject('expression_error', `filter ${f.source}: ${r.reason}`);
      }
      return reject(
        'expression_error',
        `filter ${f.source}: expected true or false, got ${abbreviate(r)}`,
      );
    }

    return { kind: 'row', entityKey: key, entityName: name, tsUs, values };
  };
}

// A fatal decoder throws on malformed UTF-8 instead of inventing U+FFFD, so bad bytes are caught.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `ok` tells the two apart; the rejection is a RejectedMessage as it is, ready to dead-letter. */
export type ParsedMessage =
  { ok: true; doc: Record<string, unknown> } | (RejectedMessage & { ok: false });

function unparsable(code: DeadLetterCode, reason: string): RejectedMessage & { ok: false } {
  return { ok: false, kind: 'error', code, reason };
}

/** Bytes from Kafka → a JSON object, or why not. */
export function parseMessage(value: Buffer | null, maxBytes: number): ParsedMessage {
  if (value === null) return unparsable('invalid_json', 'empty message');
  if (value.length > maxBytes) {
    return unparsable('oversized', `the message has ${value.length} bytes, more than ${maxBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return unparsable('undecodable', 'the message is not valid UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return unparsable('invalid_json', (e as Error).message);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    const got = doc === null ? 'null' : Array.isArray(doc) ? 'an array' : `a ${typeof doc}`;
    return unparsable('not_an_object', `expected a JSON object, got ${got}`);
  }
  return { ok: true, doc: doc as Record<string, unknown> };
}
