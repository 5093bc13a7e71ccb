/**
 * `npm run metadata -- <apply|reload|inconsistent>`: the hasura/metadata project applied to a
 * running server through its /v1/metadata API, for a data admin without the `hasura` CLI (which
 * cannot be installed offline). `apply` is what `hasura metadata apply` does: the folder read as
 * the CLI reads it (YAML, `!include`), sent as one `replace_metadata`. It works against the engine
 * and against Hasura alike. Without HASURA_GRAPHQL_ENDPOINT / HASURA_GRAPHQL_ADMIN_SECRET it uses
 * the running `npm start`'s engine and secrets (@streamsync/database's local-stack.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findLocalStack, noLocalStackHint, REPO_ROOT } from '@streamsync/database';
import { loadMetadataDir } from './metadata/load-dir.ts';

const USAGE = `usage: npm run metadata -- <command> [--dir <metadata folder>]

  apply          send hasura/metadata to the server (replace_metadata), as \\\`hasura metadata apply\\\`
  reload         make the server read its database again (reload_metadata), e.g. after a migration
  inconsistent   list what the server's metadata refers to and cannot find

The server: HASURA_GRAPHQL_ENDPOINT (e.g. http://127.0.0.1:8080) and HASURA_GRAPHQL_ADMIN_SECRET
when set, otherwise the engine and the admin secret of the running \\\`npm start\\\` (found through
STREAMSYNC_DATA_DIR, default .data/).`;

class UsageError extends Error {}

function server(): { endpoint: string; adminSecret: string } {
  const stack = findLocalStack();
  const endpoint =
    process.env.HASURA_GRAPHQL_ENDPOINT?.replace(/\/+$/, '') ||
    stack?.graphqlUrl?.replace(/\/v1\/graphql$/, '');
  if (!endpoint) {
    throw new UsageError(
      `HASURA_GRAPHQL_ENDPOINT is not set, and ${noLocalStackHint()} (HASURA_GRAPHQL_ENDPOINT=http://…)`,
    );
  }
  let adminSecret = process.env.HASURA_GRAPHQL_ADMIN_SECRET;
  if (!adminSecret && stack) {
    adminSecret = (JSON.parse(readFileSync(stack.secretsFile, 'utf8')) as { adminSecret: string })
      .adminSecret;
  }
  if (!adminSecret) {
    throw new UsageError(
      'HASURA_GRAPHQL_ADMIN_SECRET is not set (the compose stack: the value in .env)',
    );
  }
  return { endpoint, adminSecret };
}

async function call(type: string, args: unknown, version?: number): Promise<unknown> {
  const { endpoint, adminSecret } = server();
  let res: Response;
  try {
    res = await fetch(`${endpoint}/v1/metadata`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': adminSecret },
      body: JSON.stringify({ type, args, ...(version ? { version } : {}) }),
    });
  } catch (err) {
    throw new UsageError(
      `${endpoint} does not answer (${(err as Error).message}): is the server running?`,
    );
  }
  const body = (await res.json()) as unknown;
  if (!res.ok) {
    const { error, code, internal } = body as { error?: string; code?: string; internal?: unknown };
    throw new UsageError(
      `${type}: ${error ?? JSON.stringify(body)} (${code ?? res.status})` +
        (Array.isArray(internal) ? internal.map((o) => `\n  ${JSON.stringify(o)}`).join('') : ''),
    );
  }
  return body;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const [command, ...rest] = argv;
  let dir = path.join(REPO_ROOT, 'hasura', 'metadata');
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] !== '--dir' || rest[i + 1] === undefined) {
      throw new UsageError(`unexpected ${JSON.stringify(rest[i])} (see --help)`);
    }
    dir = path.resolve(process.env.INIT_CWD ?? '.', rest[i + 1]!);
  }
  switch (command) {
    case 'apply': {
      const metadata = loadMetadataDir(dir);
      // version 2: the metadata under `metadata`, refused whole when anything in it is inconsistent
      await call('replace_metadata', { metadata, allow_inconsistent_metadata: false }, 2);
      const tables = metadata.sources.reduce((n, s) => n + s.tables.length, 0);
      console.log(`applied ${path.relative(process.cwd(), dir) || dir}: ${tables} tables`);
      return 0;
    }
    case 'reload':
      await call('reload_metadata', { reload_sources: true });
      console.log('reloaded');
      return 0;
    case 'inconsistent': {
      const { is_consistent, inconsistent_objects } = (await call(
        'get_inconsistent_metadata',
        {},
      )) as { is_consistent: boolean; inconsistent_objects: unknown[] };
      if (is_consistent) console.log('consistent');
      else for (const o of inconsistent_objects) console.log(JSON.stringify(o));
      return is_consistent ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(
      err instanceof UsageError || err.name === 'MetadataLoadError' ? err.message : err,
    );
    process.exit(1);
  },
);
