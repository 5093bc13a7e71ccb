/**
 * Where a panel's `<t>_stream` subscription starts again when it is re-sent: after a reconnect
 * (its engine died and the balancer sent the socket to another, a network blip) or a token
 * handover (live-connection.ts reads the variables at each send).
 *
 * From the newest row the stream itself delivered, less an overlap — never from the cursor it
 * first started with (every row since would come again) nor from "now" (the rows of the outage
 * would be lost). Rows that other reads brought (history, the edge re-read, which reads up to a
 * minute ahead of the clock) do not move it: they may run ahead of the stream, and a row that
 * commits later behind them would be left to the re-read. The overlap takes back rows that commit
 * just behind the newest one (several writers in flight); the panel's SeriesSet merges by key, so
 * the overlap's rows count once.
 */

/** How far behind the newest streamed row a re-sent stream starts. */
export const RESUME_OVERLAP_MS = 2_000;

export class StreamResume {
  private newest = Number.NEGATIVE_INFINITY;

  constructor(
    /** the cursor the stream first started from (ms) */
    private readonly initialMs: number,
    private readonly overlapMs = RESUME_OVERLAP_MS,
  ) {}

  /** The times (ms) of the rows one stream message delivered. */
  received(times: Iterable<number>): void {
    for (const t of times) if (t > this.newest) this.newest = t;
  }

  /** The cursor to (re)send: an ISO timestamp. */
  cursor(): string {
    return new Date(Math.max(this.initialMs, this.newest - this.overlapMs)).toISOString();
  }
}
