/**
 * HAProxy in front of several engines: the repository's one configuration
 * (deploy/haproxy/haproxy.cfg, also used by docker compose) run from the Debian package, its
 * addresses given through the environment variables the file reads. Used by the local stack
 * (STREAMSYNC_ENGINES=2+) and by the tests that kill an engine behind it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, REPO_ROOT } from '@streamsync/database';
import { startService, type RunningService, type ServiceSpec } from './services.ts';

export const HAPROXY_CONFIG = path.join(REPO_ROOT, 'deploy', 'haproxy', 'haproxy.cfg');
/** As many `LB_ENGINE_<n>` servers as the configuration file declares. */
export const MAX_BALANCED_ENGINES = 8;

export interface BalancerOptions {
  /** host:port clients connect to */
  bind: string;
  /** host:port of each engine (1 … MAX_BALANCED_ENGINES) */
  servers: string[];
  /** host:port for HAProxy's own /metrics (Prometheus) and /stats; none when omitted */
  statsBind?: string;
  env?: NodeJS.ProcessEnv;
}

/** The HAProxy binary: STREAMSYNC_HAPROXY, else Debian's. Missing: a configuration error. */
export function haproxyBinary(env: NodeJS.ProcessEnv = process.env): string {
  const bin = env.STREAMSYNC_HAPROXY || '/usr/sbin/haproxy';
  if (!existsSync(bin)) {
    throw new ConfigError(
      'STREAMSYNC_HAPROXY',
      `no HAProxy at ${bin} (Debian: apt-get install haproxy), needed to balance several engines`,
    );
  }
  return bin;
}

/** The variables deploy/haproxy/haproxy.cfg reads. */
export function balancerEnv(opts: BalancerOptions): Record<string, string> {
  if (opts.servers.length < 1 || opts.servers.length > MAX_BALANCED_ENGINES) {
    throw new ConfigError(
      'STREAMSYNC_ENGINES',
      `HAProxy balances 1 to ${MAX_BALANCED_ENGINES} engines, not ${opts.servers.length}`,
    );
  }
  const env: Record<string, string> = { LB_BIND: opts.bind };
  opts.servers.forEach((s, i) => (env[`LB_ENGINE_${i + 1}`] = s));
  if (opts.statsBind) env.LB_STATS_BIND = opts.statsBind;
  return env;
}

/** How the stack runs HAProxy: in the foreground (-db), ready when its own health URL answers. */
export function balancerSpec(opts: BalancerOptions): ServiceSpec {
  const env = opts.env ?? process.env;
  // a stray LB_ENGINE_<n> in the caller's environment would add a server nobody started
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && !k.startsWith('LB_')) inherited[k] = v;
  return {
    name: 'balancer',
    command: haproxyBinary(env),
    args: ['-db', '-f', HAPROXY_CONFIG],
    cwd: REPO_ROOT,
    env: { ...inherited, ...balancerEnv(opts) },
    inheritEnv: false,
    // 503 until at least one engine passed its health check
    healthUrl: `http://${opts.bind}/lb/healthz`,
    readyTimeoutMs: 20_000,
    stopTimeoutMs: 12_000,
  };
}

export interface Balancer extends RunningService {
  /** http://<bind> */
  url: string;
}

/** Start HAProxy on its own (tests): stop() it when done. */
export async function startBalancer(
  opts: BalancerOptions & { output?: (line: string) => void },
): Promise<Balancer> {
  const svc = await startService(balancerSpec(opts), { output: opts.output ?? (() => {}) });
  return Object.assign(svc, { url: `http://${opts.bind}` });
}
