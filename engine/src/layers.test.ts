/**
 * The architecture of engine/src, checked: no import cycle among its files (type-only imports
 * included, as ../../../shared/tools/import-cycles.mjs counts them), and every import goes to the
 * same layer or one below. A part that needs something of a higher layer receives it as a narrow
 * interface, wired by server.ts (the composition root), instead of importing it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Bottom to top. A folder (or a top-level file, without `.ts`) may import its own layer and the
 * layers below. A new folder must be placed here (the test names it otherwise).
 */
const LAYERS: ReadonlyArray<{ name: string; parts: readonly string[] }> = [
  { name: 'base', parts: ['errors', 'version', 'session', 'lru-cache'] },
  // the database catalog, outbound HTTP calls, the @cached answer stores (memory, Redis), the
  // read replicas' pools, each source's pool
  { name: 'outside', parts: ['introspection', 'webhook', 'cache', 'replicas', 'sources'] },
  // the metadata document and the services that only read it (event delivery)
  { name: 'metadata', parts: ['metadata', 'events'] },
  // the GraphQL compiler: resolved source and schemas, parsing to IR, IR to SQL, admission
  { name: 'compiler', parts: ['schema', 'ir', 'parse', 'translate', 'limits', 'relay'] },
  // the one planner and its runners; sessions from requests
  { name: 'execution', parts: ['execute', 'auth'] },
  // what requests reach through the planner or beside it (actions/: issue 13, on its branch; rest/: REST endpoints and their OpenAPI document)
  { name: 'services', parts: ['api', 'subscription', 'actions', 'rest'] },
  // HTTP and WebSocket
  { name: 'transport', parts: ['transport', 'console'] },
  // settings and composition; entry points (main, the metadata CLI)
  { name: 'composition', parts: ['config', 'server', 'main', 'index', 'metadata-cli'] },
];

const ROOT = import.meta.dirname;
const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|tsx|mts)$/.test(e) && !/\.(test|spec)\.tsx?$/.test(e) && !e.endsWith('.d.ts'))
      out.push(p);
  }
  return out;
}

/** file → the files of this tree it imports */
export function importGraph(root: string): Map<string, string[]> {
  const files = sourceFiles(root);
  const set = new Set(files);
  const resolve = (from: string, spec: string): string | undefined => {
    if (!spec.startsWith('.')) return undefined;
    const base = path.resolve(path.dirname(from), spec);
    return [
      base,
      base.replace(/\.(js|mjs)$/, '.ts'),
      `${base}.ts`,
      path.join(base, 'index.ts'),
    ].find((c) => set.has(c));
  };
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const out = new Set<string>();
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const t = resolve(f, (m[1] ?? m[2])!);
      if (t && t !== f) out.add(t);
    }
    graph.set(f, [...out]);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan, iterative). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<[string, number]> = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      const edges = graph.get(v) ?? [];
      if (i < edges.length) {
        top[1]++;
        const w = edges[i]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          c.push(w);
        } while (w !== v);
        if (c.length > 1) out.push(c);
      }
    }
  }
  return out;
}

/** The part a file belongs to: its top folder, or its own name for a top-level file. */
const partOf = (root: string, file: string): string => {
  const rel = path.relative(root, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.(ts|tsx|mts)$/, '');
};

const layerOf = new Map<string, number>();
LAYERS.forEach((l, i) => l.parts.forEach((p) => layerOf.set(p, i)));

describe('engine/src layers', () => {
  const graph = importGraph(ROOT);
  const rel = (f: string) => path.relative(ROOT, f);

  it('has no import cycle, type-only imports included', () => {
    const found = cycles(graph).map((c) => c.map(rel).sort().join(' → '));
    expect(found).toEqual([]);
  });

  it('places every folder and top-level file in a layer', () => {
    const parts = new Set([...graph.keys()].map((f) => partOf(ROOT, f)));
    expect([...parts].filter((p) => !layerOf.has(p))).toEqual([]);
  });

  it('imports only the same layer or below', () => {
    const breaches: string[] = [];
    for (const [from, tos] of graph) {
      const a = partOf(ROOT, from);
      for (const to of tos) {
        const b = partOf(ROOT, to);
        const la = layerOf.get(a);
        const lb = layerOf.get(b);
        if (la !== undefined && lb !== undefined && lb > la)
          breaches.push(
            `${rel(from)} (${LAYERS[la]!.name}) imports ${rel(to)} (${LAYERS[lb]!.name})`,
          );
      }
    }
    expect(breaches).toEqual([]);
  });

  it('keeps the WebSocket protocol core apart from the socket library', () => {
    // transport/ws.ts adapts the `ws` package; the protocol core must work with any socket
    for (const file of ['transport/ws-connection.ts', 'transport/ws-protocol.ts']) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const packages = [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
      expect(
        packages.filter((p) => p === 'ws' || p.startsWith('ws/')),
        file,
      ).toEqual([]);
    }
  });

  it('finds a cycle and an upward import when there is one', () => {
    // the checks themselves, on a graph made for it
    const g = new Map([
      ['/r/a/x.ts', ['/r/b/y.ts']],
      ['/r/b/y.ts', ['/r/a/x.ts']],
      ['/r/c.ts', []],
    ]);
    expect(cycles(g).map((c) => c.sort())).toEqual([['/r/a/x.ts', '/r/b/y.ts']]);
    expect(partOf('/r', '/r/a/x.ts')).toBe('a');
    expect(partOf('/r', '/r/c.ts')).toBe('c');
  });
});
