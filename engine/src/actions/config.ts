/**
 * Action settings, under Hasura's variable names (and defaults). A bad value stops the engine at
 * start with the key named.
 */
import { readInt } from '@streamsync/database';

export interface ActionsConfig {
  /**
   * How often waiting async actions are looked for, ms (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL;
   * 0: this engine processes none, another one does). An action made through this engine is
   * taken at once.
   */
  fetchIntervalMs: number;
  /** Async actions processed at once (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE). */
  concurrency: number;
}

export function loadActionsConfig(env: NodeJS.ProcessEnv): ActionsConfig {
  return {
    fetchIntervalMs: readInt(
      env,
      'HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL',
      1000,
      0,
      3_600_000,
    ),
    concurrency: readInt(env, 'HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE', 10, 1, 1000),
  };
}
