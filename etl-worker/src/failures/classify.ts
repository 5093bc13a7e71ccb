/**
 * The one place a failure of the load path is classified. Everything that goes wrong while a chunk
 * is written (Postgres, the dead-letter topic, the worker's own code) ends up here, and the answer
 * decides what the partition does:
 *
 * - `transient`: the same write can succeed later (a connection lost, a serialization failure, a
 *   lock or statement timeout, Postgres or the broker restarting). Retried with capped backoff;
 *   nothing is resolved before it commits, so nothing is lost.
 * - `data`: something in the chunk's messages makes the database (or the worker) refuse it. The
 *   chunk is split until the messages at fault are alone, and those become dead letters.
 * - `pipeline`: permanent, but not tied to a message (the target table dropped, a column renamed, a
 *   grant revoked, the dead-letter topic refused). The pipeline's partitions pause and say so;
 *   splitting would only dead-letter good messages.
 */
import { isTransientPgError, sqlState } from '@streamsync/database';

export type FailureKind = 'transient' | 'data' | 'pipeline';

export interface Failure {
  kind: FailureKind;
  /** a short label for metrics and logs: the SQLSTATE, the Kafka error type, or the error's name */
  code: string;
  /** what a person reads (the dead letter's reason, /readyz, the log) */
  message: string;
  /** the pipeline whose step failed, when known */
  pipeline: string | null;
  cause: unknown;
}

/**
 * A failure raised while one pipeline's part of a chunk was written (its entities, its rows, its
 * rollups, its alerts): carries the pipeline's name so a permanent failure pauses that one only.
 */
export class PipelineStepError extends Error {
  constructor(
    readonly pipeline: string,
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${pipeline}: ${step}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'PipelineStepError';
  }
}

/** The worker found something in the data it cannot load (no SQLSTATE to say so). */
export class DataFault extends Error {
  override readonly name = 'DataFault';
}

// Errors that say a table, a column, a function or a privilege is missing or wrong: no message
// can fix them and no retry within seconds will either; the pipeline waits for an operator.
const PIPELINE_STATES = new Set([
  '42P01', // undefined_table
  '42703', // undefined_column
  '42804', // datatype_mismatch (a column's type changed under the declaration)
  '42501', // insufficient_privilege
  '42P10', // invalid_column_reference (the conflict target lost its unique index)
  '0A000', // feature_not_supported
  '42883', // undefined_function
  '3F000', // invalid_schema_name
  '25006', // read_only_sql_transaction (pointed at a standby)
]);

// The server's own state, not the statement's values: connection (08), transaction rollback (40:
// serialization, deadlock), insufficient resources (53), object in use / lock timeout (55),
// operator intervention (57: shutdown, statement timeout), system and internal errors (58, XX).
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '55', '57', '58', 'XX']);

interface KafkaLikeError {
  name?: string;
  type?: string;
  retriable?: boolean;
  message?: string;
}

export function classifyFailure(err: unknown): Failure {
  const pipeline = err instanceof PipelineStepError ? err.pipeline : null;
  const cause = err instanceof PipelineStepError ? err.cause : err;
  const message = (cause as Error)?.message ?? String(cause);
  const out = (kind: FailureKind, code: string): Failure => ({
    kind,
    code,
    message,
    pipeline,
    cause,
  });
  if (cause instanceof DataFault) return out('data', 'data_fault');
  const state = sqlState(cause);
  if (state) {
    if (PIPELINE_STATES.has(state)) return out('pipeline', state);
    if (isTransientPgError(cause) || TRANSIENT_CLASSES.has(state.slice(0, 2))) {
      return out('transient', state);
    }
    // data exceptions, integrity violations, program limits, a trigger's raise_exception, and any
    // other statement-level refusal: the chunk is split to find the messages it is about
    return out('data', state);
  }
  if (isTransientPgError(cause)) return out('transient', 'connection');
  const k = cause as KafkaLikeError | null;
  if (k?.name?.startsWith('KafkaJS')) {
    // kafkajs says whether a retry can help; a refusal that cannot (authorization, a topic that
    // does not exist and will not be created) is the pipeline's to wait on, never the data's
    if (k.retriable !== false || /Connection|Timeout|NumberOfRetriesExceeded/.test(k.name)) {
      return out('transient', k.type ?? k.name);
    }
    return out('pipeline', k.type ?? k.name);
  }
  // anything else is the worker's own code failing on an input it did not expect (a bug, a value
  // no check foresaw): treated as the data's, so the message at fault is isolated and kept as a
  // dead letter (nothing is lost: it can be replayed) instead of stalling the partition
  return out('data', (cause as Error)?.name ?? 'Error');
}
