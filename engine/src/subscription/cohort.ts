/**
 * Cohorts and subscribers (Hasura's Subscription/Poll/Common.hs): a cohort is the subscribers of a
 * poller whose statement reads the same values; it remembers its last result's hash (live) or its
 * place in the stream (streaming).
 */
import type { CohortValues } from './plan.ts';

/** Where a subscriber's messages go: the transport frames them for its protocol. */
export interface SubscriberSink {
  /**
   * A result payload (`{"data":…}` or `{"errors":[…]}`). `coalesce`: a newer payload for the
   * same operation may replace this one while the socket is congested (live results).
   */
  send(payload: string, coalesce: boolean): void;
  /** The socket is behind: streams hold the cohort back instead of queueing more. */
  congested(): boolean;
}

export interface Subscriber {
  id: number;
  sink: SubscriberSink;
}

/** A stream cohort's place: the cursor within the current commit window (see plan.ts). */
export interface StreamState {
  /** last cursor value sent in the current window (text), the initial value at a window's start */
  c: string | null;
  /** the window is the rows visible in `hi` but not in `lo` (pg_snapshot text) */
  lo: string;
  hi: string;
}

/** The snapshot in which nothing is visible: the state of a stream that has sent nothing. */
export const EMPTY_SNAPSHOT = '1:1:';

let nextCohortId = 1;

export class Cohort {
  readonly id = nextCohortId++;
  /** subscribers that have had a result */
  readonly existing = new Map<number, Subscriber>();
  /** subscribers added since the last poll: they get the next result even if unchanged */
  readonly fresh = new Map<number, Subscriber>();
  /** hash of the last result sent (live) */
  lastHash: string | null = null;
  /** the JSON text of the variables the statement reads */
  varsJson: string;
  /**
   * A stream's WAL position that a read replica must have replayed before it may poll this cohort:
   * everything its `hi` snapshot counts as committed is replayed by then (see plan.ts). Not part of
   * the variables: cohorts that reach the same `hi` see the same rows whichever position they carry.
   */
  horizonLsn = 0n;

  constructor(
    readonly values: CohortValues,
    /** the pinned series of the cohort (entity id as text), when the plan pins one */
    readonly series: string | null,
    public stream: StreamState | null,
  ) {
    this.varsJson = Cohort.json(values, stream);
  }

  static json(values: CohortValues, stream: StreamState | null): string {
    return JSON.stringify(stream ? { ...values, ...stream } : values);
  }

  get size(): number {
    return this.existing.size + this.fresh.size;
  }

  add(s: Subscriber): void {
    this.fresh.set(s.id, s);
  }

  remove(id: number): boolean {
    return this.existing.delete(id) || this.fresh.delete(id);
  }

  setStream(state: StreamState): void {
    this.stream = state;
    this.varsJson = Cohort.json(this.values, state);
  }

  *all(): Iterable<Subscriber> {
    yield* this.existing.values();
    yield* this.fresh.values();
  }
}
