/**
 * The contract between the pipeline layer (declarations → decoders, pure) and the loader (Kafka →
 * Postgres). A pipeline is a row of etl.pipelines; the registry reads it, `compilePipeline` checks
 * it against the target table and turns it into a decoder that maps one parsed message to one row.
 */

/** One row of etl.pipelines as the registry selects it (intervals as seconds). */
export interface PipelineRow {
  name: string;
  description: string | null;
  topics: string[];
  target_schema: string;
  target_table: string;
  /** how to find the emitting entity: {"kind": "sensor", "key": "$.device_id", "name": "$.label"} */
  entity: unknown;
  /** column → {"path": "$.a.b", "type": "float8", "required": false, "unit": {"from", "to"}} */
  mapping: unknown;
  time_column: string;
  time_field: string;
  /** iso8601 | epoch_s | epoch_ms | epoch_us | epoch_ns | pattern:<pattern> */
  time_format: string;
  key_columns: string[];
  /** [{"column": "notional", "expr": "price * size"}] */
  transforms: unknown;
  /** [{"expr": "size > 0"}] */
  filters: unknown;
  rollup_columns: string[];
  /** late_after as seconds, or null */
  late_after_s: number | null;
  late_action: 'accept' | 'drop' | 'dead_letter';
  on_duplicate: 'ignore' | 'update';
  enabled: boolean;
  version: number;
}

/** A column of the target table as the catalog describes it. */
export interface TableColumn {
  name: string;
  /** format_type(), e.g. "double precision", "numeric(20,8)", "text", "timestamp with time zone" */
  sqlType: string;
  notNull: boolean;
  hasDefault: boolean;
}

/** What the loader knows about the target table when it compiles a pipeline. */
export interface TargetTable {
  schema: string;
  name: string;
  /** every column, in table order */
  columns: TableColumn[];
  /** from timeseries.partitioned_tables, when the table is under partition management */
  retentionS: number | null;
}

/** A loaded value column: its name, the cast the unnest() parameter gets, and whether to roll it up. */
export interface OutputColumn {
  name: string;
  /** the SQL element type for the parameter array, e.g. "float8", "numeric", "text" */
  sqlType: string;
}

export interface DecodeContext {
  /** wall clock, ms since the epoch */
  nowMs: number;
  /** points further ahead than this are out of range */
  maxFutureMs: number;
}

/** A message made into a row. */
export interface DecodedRow {
  kind: 'row';
  /** the entity's natural key (null when the pipeline has no entity) */
  entityKey: string | null;
  /** the entity's display name when the declaration maps one */
  entityName: string | null;
  /** the point's time, integer microseconds since the epoch (exact below 2^53) */
  tsUs: number;
  /** one value per `CompiledPipeline.columns`, coerced: number | string | boolean | null */
  values: Array<number | string | boolean | null>;
}

/** A message the declaration says to leave out (filtered, or late with late_action "drop"). */
export interface SkippedMessage {
  kind: 'skip';
  reason: string;
}

export type DeadLetterCode =
  | 'oversized'
  | 'undecodable'
  | 'invalid_json'
  | 'not_an_object'
  | 'missing_field'
  | 'invalid_value'
  | 'invalid_time'
  | 'out_of_range'
  | 'late'
  | 'expression_error'
  | 'no_pipeline'
  | 'rejected_by_database'
  /** the worker itself failed on the message (no SQLSTATE): isolated, kept, replayable */
  | 'unloadable';

/** A message that cannot be loaded: it goes to the dead-letter topic with this code and reason. */
export interface RejectedMessage {
  kind: 'error';
  code: DeadLetterCode;
  /** human-readable, names the field: "$.temp_f: expected a number, got \"hot\"" */
  reason: string;
}

export type DecodeResult = DecodedRow | SkippedMessage | RejectedMessage;

export interface CompiledPipeline {
  name: string;
  version: number;
  topics: string[];
  schema: string;
  table: string;
  timeColumn: string;
  /** the entity kind; the target table then has an `entity_id bigint` column */
  entityKind: string | null;
  /** value columns in insertion order (never entity_id nor the time column) */
  columns: OutputColumn[];
  keyColumns: string[];
  /** numeric value columns summarised into rollups_1m / rollups_1h */
  rollupColumns: string[];
  onDuplicate: 'ignore' | 'update';
  /** points older than now - retention have no partition to go to */
  retentionS: number | null;
  decode(message: Record<string, unknown>, ctx: DecodeContext): DecodeResult;
}

/** A declaration that cannot run: `key` names where, e.g. "mapping.temperature.unit.from". */
export class PipelineError extends Error {
  constructor(
    readonly pipeline: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`pipeline ${pipeline}: ${key}: ${reason}`);
    this.name = 'PipelineError';
  }
}
