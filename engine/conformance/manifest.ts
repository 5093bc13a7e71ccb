/**
 * The cases folder's `manifest.json` (see its README.md): per directory the setup style, the
 * setup API version, the upstream test classes and, in upstream order, the case files with their
 * kind, transports and flags. This module reads it, checks it, and resolves it into directories
 * and `py_class` groups, each group being one unit of isolation (a fresh database and engine).
 */
import fs from 'node:fs';
import path from 'node:path';

/** `scenario`: a Python-only upstream test replayed from its topic file (not a manifest case kind). */
export type CaseKind = 'http-case' | 'metadata-error' | 'ws-scenario' | 'scenario' | 'explain';
export type Transport = 'http' | 'websocket' | 'subscription';

export interface ManifestCase {
  file: string;
  kind: CaseKind;
  py_class?: string;
  py_test?: string;
  transports?: Transport[];
  n_cases: number;
  needs?: string[];
  note?: string;
  unreferenced?: boolean;
  xfail_upstream?: boolean;
  /** Why upstream does not run it in the default configuration. */
  skip?: string;
  /** For `metadata-error`: where to POST the file and what must come back. */
  expect?: { url: string; status: number; error: string };
  runner?: string;
  no_response_body?: boolean;
  python_side_asserts?: boolean;
  /** Requests upstream's Python makes (as admin) before the case file: a body, or a file of the directory. */
  pre_steps?: CaseStep[];
  /** The same, after the case file (GRAPHQL-EXTRAS.md, function permissions). */
  post_steps?: CaseStep[];
  /** `false`: send exactly the case's headers, without the admin secret (GRAPHQL-EXTRAS.md). */
  add_auth?: boolean;
  urls?: string[];
}

/** A request around a case file (`pre_steps` / `post_steps`). */
export interface CaseStep {
  url: string;
  status: number;
  body?: unknown;
  file?: string;
}

/** A Python-only upstream test of a wave-2 directory, driven from its topic file (EVENTS.md …). */
export interface ManifestScenario {
  id: string;
  py_class: string;
  py_test: string;
  uses_files?: string[];
  skip?: string;
}

export interface ManifestDir {
  path: string;
  role: string;
  fixture: string[];
  setup_api: string[];
  setup_files: string[];
  py_classes: string[];
  markers: {
    hge_env?: Array<Record<string, string>>;
    admin_secret?: boolean;
    websocket?: boolean;
    postgis_fixture?: boolean;
  };
  db_extensions_in_setup: string[];
  cases: ManifestCase[];
  /** wave 2 */
  wave?: number;
  scenarios?: ManifestScenario[];
  servers?: string[];
  template_env?: string[];
  setup_override?: { setup?: string[]; teardown?: string[] };
  doc?: string;
  /** Per upstream class: engine settings (a null value: unset) and helper servers. */
  py_class_env?: Record<string, { hge_env?: Record<string, string | null>; servers?: string[] }>;
}

export interface Manifest {
  legacy_commit?: string;
  dirs: ManifestDir[];
}

export type SetupStyle = 'per_dir' | 'per_case' | 'mutation' | 'custom' | 'none';

export interface CaseGroup {
  /** The upstream test class; null for files no upstream test uses (`unreferenced`). */
  pyClass: string | null;
  cases: ManifestCase[];
  /** Python-only scenarios of this class (wave 2), in upstream order. */
  scenarios: ManifestScenario[];
}

export interface ResolvedDir {
  /** Folder relative to the cases root (legacy folders carry their `_legacy-…/` prefix). */
  id: string;
  absPath: string;
  manifest: ManifestDir;
  style: SetupStyle;
  api: 'v1' | 'v2';
  needsPostgis: boolean;
  /** Extra engine environment (`markers.hge_env`; a class's `py_class_env` replaces it). */
  env: Record<string, string>;
  /** Upstream runs this directory with an admin secret (`markers.admin_secret`). */
  adminSecret: boolean;
  groups: CaseGroup[];
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const KINDS = new Set(['http-case', 'metadata-error', 'ws-scenario', 'explain']);
const TRANSPORTS = new Set(['http', 'websocket', 'subscription']);

/**
 * The wave-2 directories (`manifest-wave2.json`) the runner drives, with their helper servers and
 * scenarios. A pattern also selects the directories below it.
 */
export const WAVE2_DIRECTORIES = [
  'event_triggers/**',
  'scheduled_triggers',
  'endpoints',
  'openapi',
  'query_cache',
  'graphql_query/**',
  'graphql_mutation/**',
  'graphql_introspection/**',
  'actions/**',
  'naming_conventions',
  'explain',
  'inconsistent_objects',
  'unauthorized_role',
  'v1/**',
  'v2/**',
  'subscriptions/**',
  'webhooks/**',
];

/**
 * Enterprise-only cases (skipped upstream without a licence) that the engine serves anyway and
 * the runner therefore plays: the ones whose expectations do not depend on Hasura's own cache-key
 * hashing or its /pro endpoints.
 */
export const ENTERPRISE_CASES_RUN = new Set([
  'endpoints/endpoint_simple_cached.yaml',
  // role-scoped allow lists, which the engine honours
  'graphql_query/allowlist_role_based#TestRoleBasedAllowlistQueriesPro.test_allowlists',
]);

/** Read and check `<root>/manifest.json`, plus the supported directories of `manifest-wave2.json`. */
export function loadManifest(root: string): Manifest {
  const read = (file: string, keep?: (dir: { path?: unknown }) => boolean): Manifest => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ManifestError(`cannot read ${file}: ${(e as Error).message}`);
    }
    if (keep && isObject(raw) && Array.isArray(raw.dirs))
      raw = { ...raw, dirs: (raw.dirs as Array<{ path?: unknown }>).filter(keep) };
    return checkManifest(raw, file);
  };
  const manifest = read(path.join(root, 'manifest.json'));
  const wave2 = path.join(root, 'manifest-wave2.json');
  if (fs.existsSync(wave2)) {
    const more = read(
      wave2,
      (d) => typeof d.path === 'string' && matchesOnly(d.path, WAVE2_DIRECTORIES),
    );
    for (const d of more.dirs)
      for (const c of d.cases) if (ENTERPRISE_CASES_RUN.has(`${d.path}/${c.file}`)) delete c.skip;
    for (const d of more.dirs)
      for (const sc of d.scenarios ?? [])
        if (ENTERPRISE_CASES_RUN.has(`${d.path}#${sc.id}`)) delete sc.skip;
    manifest.dirs = [...manifest.dirs, ...more.dirs];
  }
  return manifest;
}

export function checkManifest(raw: unknown, where = 'manifest.json'): Manifest {
  const fail = (msg: string): never => {
    throw new ManifestError(`${where}: ${msg}`);
  };
  if (!isObject(raw) || !Array.isArray(raw.dirs)) fail('expected an object with a "dirs" list');
  const m = raw as { dirs: unknown[]; legacy_commit?: unknown };
  m.dirs.forEach((d, i) => {
    const at = `dirs[${i}]`;
    if (!isObject(d)) fail(`${at} is not an object`);
    const dir = d as Record<string, unknown>;
    if (typeof dir.path !== 'string' || dir.path === '')
      fail(`${at}.path must be a non-empty string`);
    for (const key of [
      'fixture',
      'setup_api',
      'setup_files',
      'py_classes',
      'db_extensions_in_setup',
    ]) {
      if (dir[key] === undefined) dir[key] = [];
      if (!isStringList(dir[key])) fail(`${at}.${key} must be a list of strings`);
    }
    if (dir.markers === undefined) dir.markers = {};
    if (!isObject(dir.markers)) fail(`${at}.markers must be an object`);
    if (typeof dir.role !== 'string') dir.role = 'shared';
    if (!Array.isArray(dir.cases)) fail(`${at}.cases must be a list`);
    (dir.cases as unknown[]).forEach((c, j) => {
      const cat = `${at}.cases[${j}] (${dir.path})`;
      if (!isObject(c)) fail(`${cat} is not an object`);
      const k = c as Record<string, unknown>;
      if (typeof k.file !== 'string' || k.file === '')
        fail(`${cat}.file must be a non-empty string`);
      if (typeof k.kind !== 'string' || !KINDS.has(k.kind))
        fail(`${cat}.kind must be one of ${[...KINDS].join(', ')}`);
      if (k.n_cases === undefined) k.n_cases = 1;
      if (typeof k.n_cases !== 'number' || !Number.isInteger(k.n_cases) || k.n_cases < 1) {
        fail(`${cat}.n_cases must be a positive integer`);
      }
      if (k.transports === undefined) k.transports = ['http'];
      if (
        !isStringList(k.transports) ||
        !(k.transports as string[]).every((t) => TRANSPORTS.has(t))
      ) {
        fail(`${cat}.transports must be a list of ${[...TRANSPORTS].join(', ')}`);
      }
      if (k.kind === 'metadata-error') {
        const e = k.expect as Record<string, unknown> | undefined;
        if (
          !isObject(e) ||
          typeof e.url !== 'string' ||
          typeof e.status !== 'number' ||
          typeof e.error !== 'string'
        ) {
          fail(`${cat}.expect must be {url, status, error} for a metadata-error case`);
        }
      }
    });
  });
  return raw as Manifest;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

export function setupStyle(dir: ManifestDir): SetupStyle {
  if (dir.fixture.includes('custom')) return 'custom';
  if (dir.fixture.includes('none')) return 'none';
  if (dir.fixture.includes('mutation')) return 'mutation';
  if (dir.fixture.includes('per_dir')) return 'per_dir';
  if (dir.fixture.includes('per_case')) return 'per_case';
  // no fixture recorded: infer from the files present
  return dir.setup_files.includes('schema_setup.yaml') ? 'mutation' : 'per_dir';
}

/** Where a manifest directory lives: legacy directories sit under `_legacy-<commit>/`. */
export function directoryId(root: string, manifest: Manifest, dir: ManifestDir): string {
  if (!dir.role.includes('legacy')) return dir.path;
  const candidates: string[] = [];
  if (manifest.legacy_commit) candidates.push(`_legacy-${manifest.legacy_commit.slice(0, 7)}`);
  try {
    for (const e of fs.readdirSync(root, { withFileTypes: true })) {
      if (e.isDirectory() && e.name.startsWith('_legacy') && !candidates.includes(e.name))
        candidates.push(e.name);
    }
  } catch {
    // the root is checked by the caller
  }
  for (const c of candidates) {
    if (fs.existsSync(path.join(root, c, dir.path))) return `${c}/${dir.path}`;
  }
  throw new ManifestError(
    `legacy directory ${dir.path} (role ${dir.role}) not found under ${root}/_legacy-*`,
  );
}

/**
 * Split a directory's cases and scenarios into py_class groups, in order of first appearance;
 * unreferenced cases last.
 */
export function groupCases(cases: ManifestCase[], scenarios: ManifestScenario[] = []): CaseGroup[] {
  const groups = new Map<string, CaseGroup>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pyClass: key, cases: [], scenarios: [] }));
    return g;
  };
  for (const c of cases)
    if (c.py_class !== undefined && c.py_class !== null) group(c.py_class).cases.push(c);
  for (const s of scenarios) group(s.py_class).scenarios.push(s);
  const orphans = cases.filter((c) => c.py_class === undefined || c.py_class === null);
  const out: CaseGroup[] = [...groups.values()];
  if (orphans.length > 0) out.push({ pyClass: null, cases: orphans, scenarios: [] });
  return out;
}

export function resolveDirs(root: string, manifest: Manifest): ResolvedDir[] {
  return manifest.dirs.map((dir) => {
    const id = directoryId(root, manifest, dir);
    const env: Record<string, string> = {};
    for (const e of dir.markers.hge_env ?? []) Object.assign(env, e);
    // a list of alternatives (one per class, see py_class_env) may end on an unset: drop it
    for (const [k, v] of Object.entries(env)) if (v === null) delete env[k];
    return {
      id,
      absPath: path.join(root, id),
      manifest: dir,
      adminSecret: dir.markers.admin_secret === true,
      style: setupStyle(dir),
      api: dir.setup_api.includes('v2') ? 'v2' : 'v1',
      needsPostgis:
        dir.db_extensions_in_setup.includes('postgis') || dir.markers.postgis_fixture === true,
      env,
      groups: groupCases(dir.cases, dir.scenarios ?? []),
    };
  });
}

/** `--only` patterns: `*` within a path segment, `**` across segments, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        re += '(?:.*/)?';
        i++;
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Does a directory id match any pattern (a pattern also matches the directories below it)? */
export function matchesOnly(dirId: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => {
    const trimmed = p.replace(/\/+$/, '');
    return globToRegExp(trimmed).test(dirId) || globToRegExp(`${trimmed}/**`).test(dirId);
  });
}

/** Stable id of one case: `<dir>/<file>#<index>`, plus `@<transport>` for a replay. */
export function caseId(
  dirId: string,
  file: string,
  index: number,
  transport: Transport = 'http',
): string {
  const base = `${dirId}/${file}#${index}`;
  return transport === 'http' ? base : `${base}@${transport}`;
}
