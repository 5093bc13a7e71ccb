import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  caseId,
  checkManifest,
  globToRegExp,
  groupCases,
  loadManifest,
  ManifestError,
  matchesOnly,
  resolveDirs,
  setupStyle,
  type ManifestCase,
  type ManifestDir,
} from './manifest.ts';
import { defaultCasesDir } from './defaults.ts';
import { addsAdminRoleHeader } from './runner.ts';

const c = (file: string, py_class?: string, extra: Partial<ManifestCase> = {}): ManifestCase => ({
  file,
  kind: 'http-case',
  n_cases: 1,
  ...(py_class ? { py_class } : {}),
  ...extra,
});

const dir = (extra: Partial<ManifestDir>): ManifestDir => ({
  path: 'x',
  role: 'shared',
  fixture: [],
  setup_api: ['v1'],
  setup_files: [],
  py_classes: [],
  markers: {},
  db_extensions_in_setup: [],
  cases: [],
  ...extra,
});

describe('Conformance > manifest', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-manifest-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('should group cases by py_class in order of appearance, unreferenced last', () => {
    const groups = groupCases([c('a', 'B'), c('b', 'A'), c('u'), c('c', 'B'), c('d', 'A')]);
    expect(groups.map((g) => [g.pyClass, g.cases.map((x) => x.file)])).toEqual([
      ['B', ['a', 'c']],
      ['A', ['b', 'd']],
      [null, ['u']],
    ]);
  });

  it('should pick the setup style from the fixture', () => {
    expect(setupStyle(dir({ fixture: ['mutation'] }))).toBe('mutation');
    expect(setupStyle(dir({ fixture: ['per_case', 'per_dir'] }))).toBe('per_dir');
    expect(setupStyle(dir({ fixture: ['per_case'] }))).toBe('per_case');
  });

  it('should resolve legacy directories under their _legacy folder and read hge_env', () => {
    fs.mkdirSync(path.join(tmp, '_legacy-abcdef1', 'q', 'basic'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'q', 'basic'), { recursive: true });
    const manifest = checkManifest({
      legacy_commit: 'abcdef1234',
      dirs: [
        {
          path: 'q/basic',
          role: 'shared',
          cases: [{ file: 'a.yaml', kind: 'http-case' }],
          markers: { hge_env: [{ A: '1' }, { B: '2' }] },
        },
        { path: 'q/basic', role: 'shared-legacy', cases: [], db_extensions_in_setup: ['postgis'] },
      ],
    });
    const dirs = resolveDirs(tmp, manifest);
    expect(dirs.map((d) => d.id)).toEqual(['q/basic', '_legacy-abcdef1/q/basic']);
    expect(dirs[0]?.env).toEqual({ A: '1', B: '2' });
    expect(dirs[1]?.needsPostgis).toBe(true);
    // defaults filled in by the check
    expect(manifest.dirs[0]?.cases[0]).toMatchObject({ n_cases: 1, transports: ['http'] });
  });

  it('should refuse malformed manifests with a message naming the place', () => {
    expect(() => checkManifest({})).toThrow(ManifestError);
    expect(() =>
      checkManifest({ dirs: [{ path: 'a', cases: [{ file: 'x.yaml', kind: 'nope' }] }] }),
    ).toThrow(/cases\[0\].*kind/);
    expect(() =>
      checkManifest({ dirs: [{ path: 'a', cases: [{ file: 'x.yaml', kind: 'metadata-error' }] }] }),
    ).toThrow(/expect must be/);
  });

  it('should load the real manifest of the cases folder', () => {
    const root = defaultCasesDir({});
    const m = loadManifest(root);
    const dirs = resolveDirs(root, m);
    expect(dirs.length).toBe(m.dirs.length);
    for (const d of dirs) {
      expect(fs.existsSync(d.absPath), d.id).toBe(true);
      for (const k of d.manifest.cases)
        expect(fs.existsSync(path.join(d.absPath, k.file)), `${d.id}/${k.file}`).toBe(true);
    }
    expect(dirs.some((d) => d.id.startsWith('_legacy-'))).toBe(true);
  });

  it('should match --only globs on directory ids and the directories below them', () => {
    expect(globToRegExp('graphql_query/*').test('graphql_query/basic')).toBe(true);
    expect(globToRegExp('graphql_query/*').test('graphql_query/boolexp/basic')).toBe(false);
    expect(globToRegExp('**/basic').test('graphql_query/boolexp/basic')).toBe(true);
    expect(globToRegExp('**/basic').test('graphql_query/notbasic')).toBe(false);
    expect(matchesOnly('graphql_query/boolexp/jsonb', ['graphql_query'])).toBe(true);
    expect(matchesOnly('graphql_query/boolexp/jsonb', ['graphql_query/boolexp/basic'])).toBe(false);
    expect(matchesOnly('anything', [])).toBe(true);
  });

  it('should build case ids with the transport for replays', () => {
    expect(caseId('a/b', 'c.yaml', 2)).toBe('a/b/c.yaml#2');
    expect(caseId('a/b', 'c.yaml', 0, 'websocket')).toBe('a/b/c.yaml#0@websocket');
  });

  it('should add X-Hasura-Role: admin to about half of the header-less cases, always the same ones', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `d/f.yaml#${i}`);
    const n = ids.filter(addsAdminRoleHeader).length;
    expect(n).toBeGreaterThan(60);
    expect(n).toBeLessThan(140);
    expect(ids.map(addsAdminRoleHeader)).toEqual(ids.map(addsAdminRoleHeader));
  });
});
