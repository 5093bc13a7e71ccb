/**
 * Local secrets: the admin secret (for the data admins' tools and the worker's own use, never the
 * browser), the HS256 key that the web app signs role tokens with and the engine verifies, and the
 * secret the engine's cron and event triggers send to the worker's webhooks.
 * Taken from the environment when set; otherwise generated once per checkout and kept in
 * .data/local-secrets.json (git-ignored) so restarts and other tools agree.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '@streamsync/database';

export interface LocalSecrets {
  adminSecret: string;
  jwtKey: string;
  /** Shared by the GraphQL server and the worker: its cron and event triggers call the worker. */
  webhookSecret: string;
}

export function secretsFile(dataDir: string): string {
  return path.join(dataDir, 'local-secrets.json');
}

export async function localSecrets(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalSecrets> {
  const file = secretsFile(dataDir);
  let stored: Partial<LocalSecrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    } catch {
      stored = {};
    }
  }
  const secrets: LocalSecrets = {
    adminSecret:
      env.HASURA_GRAPHQL_ADMIN_SECRET || stored.adminSecret || randomBytes(24).toString('hex'),
    jwtKey: env.STREAMSYNC_JWT_KEY || stored.jwtKey || randomBytes(32).toString('hex'),
    webhookSecret:
      env.STREAMSYNC_WEBHOOK_SECRET || stored.webhookSecret || randomBytes(24).toString('hex'),
  };
  if (secrets.jwtKey.length < 32) {
    throw new ConfigError('STREAMSYNC_JWT_KEY', 'an HS256 key must be at least 32 characters');
  }
  if (
    secrets.adminSecret !== stored.adminSecret ||
    secrets.jwtKey !== stored.jwtKey ||
    secrets.webhookSecret !== stored.webhookSecret
  ) {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** The value of HASURA_GRAPHQL_JWT_SECRET for an HS256 key, in Hasura's JSON form. */
export function hasuraJwtSecret(jwtKey: string): string {
  return JSON.stringify({ type: 'HS256', key: jwtKey });
}
