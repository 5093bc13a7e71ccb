/**
 * The limits stage on its own: costs measured on the document as written (fragments once each,
 * no recursion over fragment chains or deep values), api_limits read as Hasura reads them and
 * resolved per role, the rate limiter's sliding minute.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadMetadataDir, MetadataLoadError } from '../metadata/load-dir.ts';
import { limitsForRole, parseApiLimits, type LimitDefaults } from '../metadata/api-limits.ts';
import { bracketNesting, measureDocument } from './document-cost.ts';
import { measureInput } from './input-size.ts';
import { RateLimiter } from './rate-limiter.ts';

const fanout = (levels: number) => {
  let q = `{ t { ...F${levels} } }\nfragment F0 on t { a b }\n`;
  for (let i = 1; i <= levels; i++) q += `fragment F${i} on t { ...F${i - 1} x: a ...F${i - 1} }\n`;
  return q;
};

describe('Engine > Limits > Document cost', () => {
  it('should count fields through fragments, each fragment once', () => {
    // F0 = 2, Fi = 2·F(i-1) + 1; plus the root field t
    const c = measureDocument(parse(fanout(60)));
    let f = 2;
    for (let i = 1; i <= 60; i++) f = 2 * f + 1;
    expect(c.nodes).toBe(Math.min(f + 1, 2 ** 50));
    expect(c.depth).toBe(2);
    const small = measureDocument(parse(fanout(3)));
    expect(small.nodes).toBe(1 + (2 * (2 * (2 * 2 + 1) + 1) + 1));
  });

  it('should measure depth through fragments and inline fragments', () => {
    const doc = parse(
      '{ a { ... on A { b { ...F } } } } fragment F on B { c { d { e } } } query Other { x }',
    );
    expect(measureDocument(doc).depth).toBe(5);
    expect(measureDocument(doc, 'Other').depth).toBe(1);
  });

  it('should follow a chain of 50,000 fragments without recursion, and survive cycles', () => {
    let q = '{ t { ...C0 } }\n';
    for (let i = 0; i < 50_000; i++) q += `fragment C${i} on t { ...C${i + 1} }\n`;
    q += 'fragment C50000 on t { leaf }\n';
    const c = measureDocument(parse(q, { noLocation: true }));
    expect(c.nesting).toBeGreaterThan(50_000);
    expect(c.nodes).toBe(2);
    const cyc = measureDocument(
      parse('{ t { ...A } } fragment A on t { x ...B } fragment B on t { ...A }'),
    );
    expect(cyc.nodes).toBeGreaterThan(0);
  });

  it('should measure literal values and bracket nesting outside strings and comments', () => {
    const c = measureDocument(parse('{ t(w: {a: [[1, 2, 3]], b: {c: {d: 1}}}) { x } }'));
    expect(c.inputDepth).toBe(3);
    expect(c.longestList).toBe(3);
    expect(bracketNesting('{ a(s: "{{{{", t: """ {{{ \\""" {{ """) # {{{{\n { b } }', 100)).toBe(2);
  });
});

describe('Engine > Limits > Input size', () => {
  it('should measure a value nested a million levels deep without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;
    const m = measureInput(deep, { maxDepth: 32, maxListLength: 10, maxValues: 1e9 });
    expect(m.depth).toBe(33);
  });

  it('should count values and the longest list', () => {
    const m = measureInput(
      { a: [1, 2, 3], b: { c: [1] } },
      { maxDepth: 99, maxListLength: 99, maxValues: 99 },
    );
    expect(m).toEqual({ depth: 3, longestList: 3, values: 8 });
  });
});

describe('Engine > Limits > api_limits', () => {
  const defaults: LimitDefaults = { depth: 12, nodes: 1000, batch: 20, time: 10, rate: null };

  it('should resolve per role, then global, then the defaults; admin only by its own entry', () => {
    const meta = parseApiLimits({
      depth_limit: { global: 5, per_role: { viewer: 3, admin: 50 } },
      time_limit: { global: 2.5 },
      rate_limit: { global: { max_reqs_per_min: 10, unique_params: 'ip' } },
    });
    expect(limitsForRole(meta, 'viewer', false, defaults)).toEqual({
      depth: 3,
      nodes: 1000,
      batch: 20,
      time: 2.5,
      rate: { max_reqs_per_min: 10, unique_params: 'IP' },
    });
    expect(limitsForRole(meta, 'user', false, defaults).depth).toBe(5);
    expect(limitsForRole(meta, 'admin', true, defaults)).toEqual({
      depth: 50,
      nodes: null,
      batch: null,
      time: null,
      rate: null,
    });
    expect(
      limitsForRole(parseApiLimits({ disabled: true }), 'viewer', false, defaults).depth,
    ).toBeNull();
    expect(limitsForRole(undefined, 'viewer', false, defaults)).toEqual(defaults);
  });

  it('should refuse what Hasura s FromJSON refuses', () => {
    expect(() => parseApiLimits({ node_limit: { global: 1.5 } })).toThrow(
      'parsing Int failed, unexpected floating number 1.5',
    );
    expect(() => parseApiLimits({ rate_limit: { global: { unique_params: 'IP' } } })).toThrow(
      'key "max_reqs_per_min" not found',
    );
    expect(() =>
      parseApiLimits({
        rate_limit: { global: { max_reqs_per_min: 1, unique_params: ['user-id'] } },
      }),
    ).toThrow("Not a valid value. Should be either: 'IP' or a list of Hasura session variables");
    expect(() => parseApiLimits([])).toThrow('expected Object, but encountered Array');
  });

  it('should read api_limits.yaml from a metadata directory, and name the file when it is bad', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-limits-'));
    try {
      fs.writeFileSync(path.join(dir, 'version.yaml'), 'version: 3\n');
      fs.writeFileSync(
        path.join(dir, 'api_limits.yaml'),
        'depth_limit:\n  global: 4\n  per_role:\n    viewer: 2\n',
      );
      expect(loadMetadataDir(dir).api_limits).toEqual({
        disabled: false,
        depth_limit: { global: 4, per_role: { viewer: 2 } },
      });
      fs.writeFileSync(path.join(dir, 'api_limits.yaml'), 'depth_limit:\n  per_role: {}\n');
      expect(() => loadMetadataDir(dir)).toThrow(MetadataLoadError);
      expect(() => loadMetadataDir(dir)).toThrow(
        'api_limits.yaml: key "global" not found at $.depth_limit',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Engine > Limits > Rate limiter', () => {
  it('should allow max_reqs_per_min over a sliding minute, per client', () => {
    let now = 60_000 * 1000;
    const rl = new RateLimiter(() => now);
    for (let i = 0; i < 5; i++) expect(rl.take('a', 5)).toBe(true);
    expect(rl.take('a', 5)).toBe(false);
    expect(rl.take('b', 5)).toBe(true);
    // half a minute into the next one, half of the last minute's 5 still count
    now += 90_000;
    expect(rl.take('a', 5, 3)).toBe(false);
    expect(rl.take('a', 5, 2)).toBe(true);
    now += 120_000;
    expect(rl.take('a', 5, 5)).toBe(true);
  });
});
