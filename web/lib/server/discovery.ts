/**
 * What the configured role can read (lib/graphql/schema-discovery.ts), for every page's first
 * render. The schema is the costliest read a page makes (the whole schema, introspected by an
 * engine busy with live queries) and it changes only with the metadata, so a page does not wait
 * for it:
 *
 * - it is held per endpoint and role, read with a token that names no user: Hasura builds a schema
 *   per role, and session variables only filter rows, so every user of the role sees this one;
 * - the pipeline declarations are read with every page, with the request's own token (a small
 *   read, at once with the page's others). A stream declared at run time comes with its
 *   declaration: when the declarations changed, the page waits for the schema read again, so it
 *   shows the new stream;
 * - otherwise the held schema serves, and one older than REVALIDATE_MS is read again after the
 *   response (`after`), so a change without a declaration (a permission, a table tracked alone)
 *   shows on the next page; one older than MAX_AGE_MS is not served;
 * - the server reads it when it starts (instrumentation.ts): the first page waits for nothing.
 *
 * The held schema lives on globalThis: instrumentation and the routes are bundled apart, and each
 * bundle would otherwise hold its own.
 */
import 'server-only';
import { after } from 'next/server';
import { cache } from 'react';
import { config } from '@/lib/config';
import { PIPELINES_QUERY } from '@/lib/graphql/documents';
import { SCHEMA_QUERY, type SchemaIntrospection } from '@/lib/graphql/introspection';
import {
  discoverSchema,
  type DiscoveredSchema,
  type PipelineDeclaration,
} from '@/lib/graphql/schema-discovery';
import { serverRequest } from './graphql';

const REVALIDATE_MS = 3_000;
const MAX_AGE_MS = 10 * 60_000;

type Declaration = PipelineDeclaration & { version?: number; updated_at?: string };

interface Held {
  /** endpoint and role */
  key: string;
  /** when its read started */
  at: number;
  /** the declarations it was read with */
  declarations: string;
  schema: SchemaIntrospection;
  /** the last discovery made from it */
  discovered?: { declarations: string; value: DiscoveredSchema };
}

interface Reading {
  key: string;
  declarations: string;
  held: Promise<Held>;
}

const HELD = Symbol.for('streamsync.web.schema');
const store = globalThis as { [HELD]?: { held?: Held; reading?: Reading } };
const state = (store[HELD] ??= {});

function keyOf(): string {
  const cfg = config();
  return `${cfg.graphqlUrl} ${cfg.role}`;
}

/**
 * A set of declarations, whole: a discovery is reused only for the very declarations it was made
 * from (what one user's token reads is never shown to another), and any change to them (a stream
 * declared, changed, removed) reads the schema again.
 */
function signature(declarations: Declaration[] | undefined): string {
  return declarations === undefined ? 'unreadable' : JSON.stringify(declarations);
}

/**
 * Read the schema (one read at a time for the same declarations). The held one keeps serving
 * until the new one is in; a failed read leaves it as it was.
 */
function readSchema(key: string, declarations: string): Promise<Held> {
  const pending = state.reading;
  if (pending && pending.key === key && pending.declarations === declarations) return pending.held;
  const at = Date.now();
  const held = serverRequest<SchemaIntrospection>('the GraphQL schema', SCHEMA_QUERY, undefined, {
    userless: true,
  }).then((schema) => {
    const read: Held = { key, at, declarations, schema };
    if (!state.held || state.held.at <= at) state.held = read;
    return read;
  });
  const reading = { key, declarations, held };
  state.reading = reading;
  const done = () => {
    if (state.reading === reading) state.reading = undefined;
  };
  held.then(done, done);
  return held;
}

function readDeclarations(opts: { userless?: boolean } = {}): Promise<Declaration[] | undefined> {
  return serverRequest<{ pipelines: Declaration[] }>(
    'the pipeline declarations',
    PIPELINES_QUERY,
    {},
    { quiet: true, ...opts },
  ).then(
    (res) => res.pipelines,
    // a role that may not read them gets streams without them
    () => undefined,
  );
}

/** At server start: the schema and the declarations read once, before any page asks. */
export async function warmDiscovery(): Promise<void> {
  const declarations = await readDeclarations({ userless: true });
  await readSchema(keyOf(), signature(declarations)).catch(() => {});
}

/** The streams and sources the configured role can read (once per request). */
export const fetchDiscovery = cache(async (): Promise<DiscoveredSchema> => {
  const declarations = await readDeclarations();
  const sig = signature(declarations);
  const key = keyOf();
  const now = Date.now();
  const current = state.held;
  let held: Held;
  if (
    !current ||
    current.key !== key ||
    current.declarations !== sig ||
    now - current.at > MAX_AGE_MS
  ) {
    held = await readSchema(key, sig);
  } else {
    held = current;
    if (now - held.at > REVALIDATE_MS && !state.reading) {
      const again = () => void readSchema(key, sig).catch(() => {});
      try {
        after(again);
      } catch {
        // outside a request: nothing to wait for
        again();
      }
    }
  }
  if (held.discovered?.declarations !== sig)
    held.discovered = { declarations: sig, value: discoverSchema(held.schema, declarations) };
  return held.discovered.value;
});
