export { sql, compile, bindPlaceholders, quoteIdent, UnsafeSqlError, isSql } from './sql.ts';
export type { SQL, Compiled, Placeholder } from './sql.ts';
export { createPool, query, transaction, withClient } from './pool.ts';
export { queryTextRow, type TextRow } from './text-row.ts';
export type { Queryable, PoolOptions, IsolationLevel, TransactionOptions } from './pool.ts';
export {
  databaseSettings,
  ConfigError,
  readInt,
  readBool,
  readUrl,
  withDatabase,
  REPO_ROOT,
} from './config.ts';
export type { DatabaseSettings } from './config.ts';
export {
  findLocalStack,
  localDataDir,
  localStackFile,
  noLocalStackHint,
  removeLocalStack,
  writeLocalStack,
} from './local-stack.ts';
export type { LocalStackInfo } from './local-stack.ts';
export {
  isTransientPgError,
  isUniqueViolation,
  isUndefinedTable,
  isUndefinedColumn,
  sqlState,
} from './errors.ts';
export {
  ensureCatalog,
  getCatalogState,
  setCatalogState,
  appliedVersions,
  recordVersion,
  CATALOG_VERSION,
} from './catalog.ts';
export type { CatalogState, CliState } from './catalog.ts';
export {
  listMigrations,
  migrationStatus,
  migrateUp,
  migrateDown,
  applySeeds,
  MigrationError,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SEEDS_DIR,
} from './migrate.ts';
export type { Migration, MigrationStatus, MigrateOptions } from './migrate.ts';
export {
  CHANGE_NOTICE_VERSION,
  DEFAULT_CHANGE_CHANNEL,
  ChangeNoticeError,
  decodeChangeNotice,
  encodeChangeNotice,
  isChangeChannelName,
} from './change-notice.ts';
export type { ChangeNotice } from './change-notice.ts';
