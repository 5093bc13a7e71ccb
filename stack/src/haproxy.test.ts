import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { balancerEnv, HAPROXY_CONFIG, MAX_BALANCED_ENGINES } from './haproxy.ts';

describe('Stack > HAProxy settings', () => {
  it('should name each engine in the variables the configuration reads', () => {
    expect(
      balancerEnv({
        bind: '127.0.0.1:8080',
        servers: ['127.0.0.1:9001', '127.0.0.1:9002'],
        statsBind: '127.0.0.1:8404',
      }),
    ).toEqual({
      LB_BIND: '127.0.0.1:8080',
      LB_ENGINE_1: '127.0.0.1:9001',
      LB_ENGINE_2: '127.0.0.1:9002',
      LB_STATS_BIND: '127.0.0.1:8404',
    });
  });

  it('should refuse no engine, and more engines than the configuration has servers for', () => {
    expect(() => balancerEnv({ bind: ':8080', servers: [] })).toThrow(/STREAMSYNC_ENGINES/);
    const many = Array.from({ length: MAX_BALANCED_ENGINES + 1 }, (_, i) => `e${i}:8080`);
    expect(() => balancerEnv({ bind: ':8080', servers: many })).toThrow(
      `HAProxy balances 1 to ${MAX_BALANCED_ENGINES} engines, not ${MAX_BALANCED_ENGINES + 1}`,
    );
  });

  it('should match the servers deploy/haproxy/haproxy.cfg declares', () => {
    const cfg = readFileSync(HAPROXY_CONFIG, 'utf8');
    const servers = [...cfg.matchAll(/^\s*server engine(\d+) "\$\{LB_ENGINE_(\d+)\}"$/gm)];
    expect(servers.map((m) => [Number(m[1]), Number(m[2])])).toEqual(
      Array.from({ length: MAX_BALANCED_ENGINES }, (_, i) => [i + 1, i + 1]),
    );
  });
});
