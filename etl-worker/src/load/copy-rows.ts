/**
 * The rows of a batch as `COPY … FROM STDIN`: the cheapest way into a table Postgres has (no
 * array parsing, no per-row executor, multi-insert buffering per partition). COPY has no conflict
 * clause: a key the table (or the batch) already holds fails it with 23505, and the batch writer
 * then takes the conflict-aware INSERT … ON CONFLICT path instead (see batch-writer.ts).
 *
 * Binary format when every column has an exact binary form here (integers, float8, bool, text,
 * json(b), the time column); text format otherwise (numeric, float4 and timestamptz values travel
 * as the decimal or ISO text the coercers made, parsed by Postgres exactly as the unnest() path
 * parses them). A value with no exact encoding (a derived float going into an integer column)
 * makes the encoder answer null: the caller uses the unnest() path, so Postgres gives its own
 * error and the message is isolated as before.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { compile, sql } from '@streamsync/database';
import type { CompiledPipeline } from '../pipeline/types.ts';
import { formatTimeUs } from '../pipeline/time.ts';
import type { RowArrays } from './insert-sql.ts';

type Value = number | string | boolean | null;

/** µs from the Unix epoch to Postgres' (2000-01-01), the zero of a binary timestamptz. */
const PG_EPOCH_US = 946_684_800_000_000;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const TWO_32 = 4_294_967_296;

const BINARY_TYPES = new Set(['int2', 'int4', 'int8', 'float8', 'bool', 'text', 'jsonb', 'json']);

export type CopyFormat = 'binary' | 'text';

/** The format a pipeline's rows are copied in. */
export function copyFormat(p: CompiledPipeline): CopyFormat {
  return p.columns.every((c) => BINARY_TYPES.has(c.sqlType)) ? 'binary' : 'text';
}

/** The COPY statement: identifiers through sql.ident, no values (COPY takes none). */
export function copyStatement(p: CompiledPipeline, format: CopyFormat): string {
  const names = [
    ...(p.entityKind ? ['entity_id'] : []),
    p.timeColumn,
    ...p.columns.map((c) => c.name),
  ];
  const compiled = compile(
    sql`COPY ${sql.ident(p.schema, p.table)} (${sql.join(
      names.map((n) => sql.ident(n)),
      ', ',
    )}) FROM STDIN WITH (FORMAT ${format === 'binary' ? sql`binary` : sql`text`})`,
  );
  return compiled.text;
}

/** An int8 as two 32-bit halves (exact for every safe integer, negatives included). */
function writeInt8(buf: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

/** Bytes of one value in binary format, or null when it has no exact encoding here. */
function binaryField(type: string, v: Value): Buffer | number | boolean | null | undefined {
  // number: a fixed-size field written in place; Buffer: variable; undefined: cannot encode
  switch (type) {
    case 'float8':
      return typeof v === 'number' ? v : undefined;
    case 'int2':
      return typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767
        ? v
        : undefined;
    case 'int4':
      return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647
        ? v
        : undefined;
    case 'int8':
      if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) {
        const big = BigInt(v);
        if (big < -(2n ** 63n) || big >= 2n ** 63n) return undefined;
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(big);
        return b;
      }
      return undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'text':
    case 'json':
      return typeof v === 'string' ? Buffer.from(v, 'utf8') : undefined;
    case 'jsonb': {
      if (typeof v !== 'string') return undefined;
      // jsonb's binary form: a version byte (1), then the JSON text
      const b = Buffer.allocUnsafe(1 + Buffer.byteLength(v, 'utf8'));
      b[0] = 1;
      b.write(v, 1, 'utf8');
      return b;
    }
    default:
      return undefined;
  }
}

const FIXED_SIZE: Record<string, number> = { float8: 8, int2: 2, int4: 4, int8: 8, bool: 1 };

/** The rows in COPY binary format, or null when a value has no exact binary form. */
export function encodeBinary(p: CompiledPipeline, rows: RowArrays): Buffer | null {
  const n = rows.tsUs.length;
  const fields = (p.entityKind ? 1 : 0) + 1 + p.columns.length;
  // first pass: sizes (and the variable-length fields, encoded once)
  const encoded = p.columns.map(() => new Array<Buffer | number | boolean | null>(n));
  let size = SIGNATURE.length + 8 + 2;
  size += n * (2 + (p.entityKind ? 12 : 0) + 12);
  for (let c = 0; c < p.columns.length; c++) {
    const type = p.columns[c]!.sqlType;
    const col = rows.columns[c]!;
    const out = encoded[c]!;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      // NaN is no value (as in the unnest() path); -0 is stored as 0 there too
      if (v === null || (typeof v === 'number' && Number.isNaN(v))) {
        out[i] = null;
        size += 4;
        continue;
      }
      const f = binaryField(type, typeof v === 'number' && v === 0 ? 0 : v);
      if (f === undefined) return null;
      out[i] = f;
      size += 4 + (Buffer.isBuffer(f) ? f.length : FIXED_SIZE[type]!);
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let at = SIGNATURE.copy(buf, 0);
  at = buf.writeInt32BE(0, at); // flags
  at = buf.writeInt32BE(0, at); // header extension length
  const ids = rows.entityIds;
  for (let i = 0; i < n; i++) {
    at = buf.writeInt16BE(fields, at);
    if (ids) {
      at = buf.writeInt32BE(8, at);
      writeInt8(buf, at, ids[i]!);
      at += 8;
    }
    at = buf.writeInt32BE(8, at);
    writeInt8(buf, at, rows.tsUs[i]! - PG_EPOCH_US);
    at += 8;
    for (let c = 0; c < encoded.length; c++) {
      const f = encoded[c]![i]!;
      if (f === null) {
        at = buf.writeInt32BE(-1, at);
        continue;
      }
      if (Buffer.isBuffer(f)) {
        at = buf.writeInt32BE(f.length, at);
        at += f.copy(buf, at);
        continue;
      }
      const type = p.columns[c]!.sqlType;
      at = buf.writeInt32BE(FIXED_SIZE[type]!, at);
      if (type === 'float8') at = buf.writeDoubleBE(f as number, at);
      else if (type === 'int8') {
        writeInt8(buf, at, f as number);
        at += 8;
      } else if (type === 'int4') at = buf.writeInt32BE(f as number, at);
      else if (type === 'int2') at = buf.writeInt16BE(f as number, at);
      else at = buf.writeUInt8(f ? 1 : 0, at);
    }
  }
  at = buf.writeInt16BE(-1, at); // trailer
  return at === size ? buf : buf.subarray(0, at);
}

const TEXT_SPECIAL = /[\\\n\r\t]/g;
const TEXT_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function textField(v: Value): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '\\N';
    return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : '-Infinity';
  }
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return v.replace(TEXT_SPECIAL, (ch) => TEXT_ESCAPES[ch]!);
}

/** The rows in COPY text format (every value as the text Postgres would parse from unnest()). */
export function encodeText(p: CompiledPipeline, rows: RowArrays): Buffer {
  const lines = new Array<string>(rows.tsUs.length);
  for (let i = 0; i < rows.tsUs.length; i++) {
    let line = rows.entityIds ? `${rows.entityIds[i]!}\t` : '';
    line += formatTimeUs(rows.tsUs[i]!);
    for (const col of rows.columns) line += `\t${textField(col[i]!)}`;
    lines[i] = line;
  }
  return Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
}

/** The rows encoded for COPY, or null when the unnest() path must take them. */
export function encodeRows(
  p: CompiledPipeline,
  rows: RowArrays,
): { format: CopyFormat; data: Buffer } | null {
  const format = copyFormat(p);
  if (format === 'text') return { format, data: encodeText(p, rows) };
  const data = encodeBinary(p, rows);
  return data ? { format, data } : null;
}

/** Send encoded rows with COPY FROM STDIN on the transaction's client; the rows copied. */
export function copyRows(
  client: pg.PoolClient,
  p: CompiledPipeline,
  encoded: { format: CopyFormat; data: Buffer },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(copyStatement(p, encoded.format)));
    // 'finish' comes after ReadyForQuery: the rows are in and the client is free again
    stream.on('error', reject);
    stream.on('finish', () => resolve(stream.rowCount));
    stream.end(encoded.data);
  });
}
