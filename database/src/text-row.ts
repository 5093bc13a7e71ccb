/**
 * A statement whose answer is one row of text columns, read as Postgres sent it: the engine's
 * queries, whose columns are JSON texts that go into the response unparsed. It is a pg
 * Submittable (`client.query(submittable)`, pg's documented hook, as pg-cursor uses), so it skips
 * what pg's general query does for every statement and this one does not need:
 *
 * - no Describe, so Postgres sends no RowDescription and nothing builds field descriptions, a
 *   Result or type parsers (every column is text, read by position);
 * - Parse once per connection for a named statement (pg's own bookkeeping of what a connection
 *   has prepared, so pg's queries and these share it), then Bind / Execute / Sync in one write.
 *
 * Values are converted as pg converts a query's values (its `prepareValue`), and errors are
 * pg's DatabaseError, so callers see what `client.query` would give them.
 */
import type pg from 'pg';
import pgUtils from 'pg/lib/utils.js';
import type { Compiled } from './sql.ts';

/** What the submittable uses of pg's Connection: its messages and prepared-statement books. */
interface ProtocolConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(q: { name: string; text: string; types: [] }): void;
  bind(b: { statement: string; values: unknown[] }): void;
  execute(e: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** The row's columns, by position (null: SQL NULL); null when the statement returned no row. */
export type TextRow = Array<string | null> | null;

class TextRowQuery implements pg.Submittable {
  /** pg reads these: `name` to forget a statement that failed, `text` when Parse completes */
  readonly name: string | undefined;
  readonly text: string;
  callback: ((err: Error | null, row?: TextRow) => void) | undefined;
  private row: TextRow = null;

  constructor(
    statement: Compiled,
    name: string | null,
    private readonly values: unknown[],
  ) {
    this.text = statement.text;
    this.name = name ?? undefined;
  }

  /** pg calls this when the connection is free; an Error returned fails the query, unsent */
  submit(connection: pg.Connection): Error | null {
    const con = connection as unknown as ProtocolConnection;
    const name = this.name ?? '';
    const known = this.name
      ? (con.parsedStatements[this.name] ?? con.submittedNamedStatements[this.name])
      : undefined;
    if (known !== undefined && known !== this.text)
      return new Error(`prepared statement ${name} names another statement`);
    let values: unknown[];
    try {
      values = this.values.map((v) => pgUtils.prepareValue(v));
    } catch (e) {
      return e as Error;
    }
    con.stream.cork?.();
    try {
      if (known === undefined) {
        con.parse({ name, text: this.text, types: [] });
        if (this.name) con.submittedNamedStatements[this.name] = this.text;
      }
      con.bind({ statement: name, values });
      con.execute({ portal: '', rows: 0 });
      con.sync();
    } finally {
      con.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(): void {}

  handleDataRow(msg: { fields: Array<string | null> }): void {
    this.row ??= msg.fields;
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: pg.Connection): void {
    (connection as unknown as ProtocolConnection).sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  /** a backend error (pg then forgets the statement if its Parse failed) or a broken connection */
  handleError(err: Error): void {
    const cb = this.callback;
    this.callback = undefined;
    cb?.(err);
  }

  handleReadyForQuery(): void {
    const cb = this.callback;
    this.callback = undefined;
    cb?.(null, this.row);
  }
}

/**
 * Run `statement` with `values` on `client` (a prepared statement `name` when given): the
 * first row's columns as text.
 */
export function queryTextRow(
  client: pg.ClientBase,
  statement: Compiled,
  name: string | null,
  values: unknown[],
): Promise<TextRow> {
  const q = new TextRowQuery(statement, name, values);
  return new Promise<TextRow>((resolve, reject) => {
    q.callback = (err, row) => (err ? reject(err) : resolve(row ?? null));
    client.query(q);
  });
}
