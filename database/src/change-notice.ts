/**
 * The change notice: the contract between the ETL worker, which sends one with `pg_notify` inside
 * each batch transaction (so it is delivered when, and only if, the batch commits), and the engine,
 * which LISTENs and wakes the live queries that read what changed.
 *
 *     {"v":1,"tables":["public.sensor_readings","public.rollups_1m"],"series":{"public.sensor_readings":[12,40]}}
 *
 * `tables` are the `schema.table` names written; `series` narrows a table to the entity ids
 * written in it (a table without an entry: any series of it). The payload is versioned: a reader
 * refuses a version it does not know instead of guessing, and the engine treats a refused notice as
 * "everything changed", so a worker newer than the engine costs polls, never a missed update.
 */

/** The version this module writes and the only one it reads. */
export const CHANGE_NOTICE_VERSION = 1;

/** The channel when neither side configures one (ETL_NOTIFY_CHANNEL, STREAMSYNC_ENGINE_EVENT_CHANNEL). */
export const DEFAULT_CHANGE_CHANNEL = 'streamsync_changes';

/** pg_notify allows any identifier; both sides accept only these, so they agree on case. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Postgres refuses a NOTIFY payload of 8000 bytes or more (and the batch with it). */
const MAX_PAYLOAD_BYTES = 7999;

export interface ChangeNotice {
  /** `schema.table` names that changed */
  tables: string[];
  /** per table, the series (entity ids) that changed; a table missing here changed as a whole */
  series: Record<string, Array<number | string>>;
}

export class ChangeNoticeError extends Error {
  override name = 'ChangeNoticeError';
}

export function isChangeChannelName(name: string): boolean {
  return CHANNEL_NAME.test(name);
}

/**
 * The payload for pg_notify. When the series lists make it too long for Postgres, the longest are
 * dropped until it fits: a table without series wakes more pollers, which is safe, while a refused
 * NOTIFY would fail the batch.
 */
export function encodeChangeNotice(notice: ChangeNotice): string {
  const series = { ...notice.series };
  const encode = () => JSON.stringify({ v: CHANGE_NOTICE_VERSION, tables: notice.tables, series });
  let payload = encode();
  while (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
    const longest = Object.keys(series).sort((a, b) => series[b]!.length - series[a]!.length)[0];
    if (longest === undefined) break;
    delete series[longest];
    payload = encode();
  }
  return payload;
}

/** Read a notice; a payload that is not a notice of a known version throws a ChangeNoticeError. */
export function decodeChangeNotice(payload: string): ChangeNotice {
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    throw new ChangeNoticeError('the change notice is not JSON');
  }
  if (!isObject(doc)) throw new ChangeNoticeError('the change notice is not a JSON object');
  if (doc.v !== CHANGE_NOTICE_VERSION)
    throw new ChangeNoticeError(
      `unsupported change notice version ${JSON.stringify(doc.v)} (this reader knows ${CHANGE_NOTICE_VERSION})`,
    );
  const { tables, series = {} } = doc;
  if (!Array.isArray(tables) || !tables.every((t) => typeof t === 'string'))
    throw new ChangeNoticeError('"tables" must be a list of table names');
  if (!isObject(series)) throw new ChangeNoticeError('"series" must be an object');
  for (const [table, ids] of Object.entries(series)) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'number' || typeof id === 'string'))
      throw new ChangeNoticeError(`"series" of ${table} must be a list of ids`);
  }
  return { tables, series: series as ChangeNotice['series'] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
