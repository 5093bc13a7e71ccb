/**
 * Second (and third) Postgres databases that some wave-2 directories need, as their manifest
 * entries name them in `servers` (per directory, or per class in `py_class_env`):
 *
 * - `extra-pg-db:<VAR>`: an empty database whose URL the engine gets in `<VAR>`; the case files
 *   add it as a source themselves (`pg_add_source` with `database_url: {from_env: <VAR>}`, V1.md);
 * - `extra-pg-source:<name>`: a database in `HASURA_GRAPHQL_PG_SOURCE_URL_1` that upstream's
 *   fixture adds as source `<name>` before the directory setup, with the class's customization
 *   (GRAPHQL-EXTRAS.md, "Naming conventions"; SUBSCRIPTIONS.md, `customized_source`). Where the
 *   topic files give no customization the case files add the source themselves.
 *
 * Each is a fresh clone of the run's template (schema `hge_tests`, citext / ltree / pgcrypto), as
 * upstream's extra sources are.
 */
import type { ManifestDir } from './manifest.ts';

/** The source customization upstream's fixture gives `pg1`, per `<dir>#<class>` or `<dir>`. */
const SOURCE_CUSTOMIZATION: Record<string, Record<string, unknown>> = {
  'naming_conventions#TestNamingConventions': { naming_convention: 'graphql-default' },
  'naming_conventions#TestNamingConventionsTypeAndFieldNamesGraphqlDefault': {
    naming_convention: 'graphql-default',
  },
  'naming_conventions#TestNamingConventionsTypeAndFieldNamesHasuraDefault': {
    naming_convention: 'hasura-default',
  },
  'naming_conventions#TestNamingConventionsTypeAndFieldNamesGraphqlDefaultWithPrefixAndSuffix': {
    naming_convention: 'graphql-default',
    root_fields: { prefix: 'test', suffix: 'query' },
  },
  'naming_conventions#TestNamingConventionsTypeAndFieldNamesHasuraDefaultWithPrefixAndSuffix': {
    naming_convention: 'hasura-default',
    root_fields: { prefix: 'test_', suffix: '_query' },
  },
  'naming_conventions#TestDefaultNamingConvention': {},
  'naming_conventions#TestNamingConventionWithoutExperimentalFeature': {
    naming_convention: 'graphql-default',
  },
  // EVENTS.md: upstream adds the source `postgres` (no customization) before the case file runs
  'event_triggers/create_and_reset_non_default': {},
  'subscriptions/customized_source': {
    root_fields: { namespace: 'my_source', prefix: 'fpref_', suffix: '_fsuff' },
    type_names: { prefix: 'tpref_', suffix: '_tsuff' },
  },
};

/** The environment variable an `extra-pg-source` database is handed in (V1.md). */
export const SOURCE_URL_VAR = 'HASURA_GRAPHQL_PG_SOURCE_URL_1';

export interface ExtraSources {
  /** Environment variables that each need a fresh database. */
  envVars: string[];
  /** Sources the harness adds before the directory setup, with their customization. */
  sources: Array<{ name: string; customization: Record<string, unknown> }>;
}

/** What a group of `dir` (upstream class `pyClass`) needs. */
export function extraSources(dir: ManifestDir, pyClass: string | null): ExtraSources {
  const servers = [
    ...(dir.servers ?? []),
    ...((pyClass ? dir.py_class_env?.[pyClass]?.servers : undefined) ?? []),
  ];
  const envVars = new Set<string>();
  const sources: ExtraSources['sources'] = [];
  for (const s of servers) {
    const db = /^extra-pg-db:(\w+)$/.exec(s);
    if (db) envVars.add(db[1] as string);
    const src = /^extra-pg-source:(\w+)$/.exec(s);
    if (!src) continue;
    envVars.add(SOURCE_URL_VAR);
    const customization =
      SOURCE_CUSTOMIZATION[`${dir.path}#${pyClass ?? ''}`] ?? SOURCE_CUSTOMIZATION[dir.path];
    if (customization && !sources.some((x) => x.name === src[1]))
      sources.push({ name: src[1] as string, customization });
  }
  return { envVars: [...envVars], sources };
}

/** The `pg_add_source` call upstream's fixture makes for one of them. */
export function addSourceRequest(source: ExtraSources['sources'][number]): unknown {
  return {
    type: 'pg_add_source',
    args: {
      name: source.name,
      configuration: { connection_info: { database_url: { from_env: SOURCE_URL_VAR } } },
      ...(Object.keys(source.customization).length > 0
        ? { customization: source.customization }
        : {}),
    },
  };
}
