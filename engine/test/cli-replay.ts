/**
 * Replays the hasura CLI's request sequences (test/fixtures/cli/*.yaml) against a running engine,
 * as the CLI sends them: the admin secret on every request, bodies built from the project's files,
 * the CLI state read-modified-written whole. Every response is checked against the fixture.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadMetadataDir } from '../src/metadata/load-dir.ts';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'cli');

export interface Step {
  include?: string;
  request?: string;
  body?: unknown;
  expect?: { status?: number; body?: unknown; exact?: unknown };
}

export interface Fixture {
  command: string;
  steps: Step[];
}

export interface Exchange {
  method: string;
  path: string;
  body: unknown;
  status: number;
  response: unknown;
}

/** The CLI's CLIState after Init(), as its Go struct serialises it. */
interface CliState {
  migrations?: Record<string, Record<string, boolean>>;
  settings: Record<string, string>;
  isStateCopyCompleted: boolean;
}

function initState(raw: unknown): CliState {
  const r = (raw ?? {}) as Partial<CliState>;
  return {
    migrations: r.migrations ?? {},
    settings: r.settings ?? {},
    isStateCopyCompleted: r.isStateCopyCompleted ?? false,
  };
}

function serialiseState(s: CliState): unknown {
  const out: Record<string, unknown> = {};
  if (s.migrations && Object.keys(s.migrations).length) out.migrations = s.migrations;
  out.settings = s.settings;
  out.isStateCopyCompleted = s.isStateCopyCompleted;
  return out;
}

export function loadFixture(file: string): Fixture {
  const doc = YAML.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'), {
    schema: 'core',
  }) as Fixture;
  const expand = (steps: Step[]): Step[] =>
    steps.flatMap((s) =>
      s.include
        ? expand(
            YAML.parse(fs.readFileSync(path.join(FIXTURES, s.include), 'utf8'), {
              schema: 'core',
            }) as Step[],
          )
        : [s],
    );
  return { command: doc.command, steps: expand(doc.steps) };
}

export class CliReplay {
  /** The CLI state as the CLI last read it. */
  private state: CliState = initState({});
  readonly log: Exchange[] = [];

  constructor(
    private readonly url: string,
    private readonly adminSecret: string,
    private readonly projectDir: string,
  ) {}

  private resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('$file' in o) return fs.readFileSync(path.join(this.projectDir, String(o.$file)), 'utf8');
    if ('$metadataDir' in o)
      return loadMetadataDir(path.join(this.projectDir, String(o.$metadataDir)));
    if ('$cliState' in o) return serialiseState(this.edit(o.$cliState as Record<string, unknown>));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.resolve(x);
    return out;
  }

  private edit(e: Record<string, unknown>): CliState {
    const s = structuredClone(this.state);
    if (Array.isArray(e.setting)) {
      const [name, value] = e.setting as [string, string];
      // setDefaults only fills a setting that is empty
      if (!s.settings[name]) s.settings[name] = value;
    }
    if (Array.isArray(e.setMigration)) {
      const [db, version, dirty] = e.setMigration as [string, string, boolean];
      s.migrations ??= {};
      (s.migrations[db] ??= {})[version] = dirty;
    }
    if (Array.isArray(e.unsetMigration)) {
      const [db, version] = e.unsetMigration as [string, string];
      if (s.migrations?.[db]) delete s.migrations[db][version];
    }
    return s;
  }

  async send(method: string, urlPath: string, body?: unknown): Promise<Exchange> {
    const r = await fetch(`${this.url}${urlPath}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-hasura-admin-secret': this.adminSecret,
        'user-agent': 'hasura-cli/v2.48.10',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    let response: unknown = text;
    try {
      response = JSON.parse(text);
    } catch {
      // keep text
    }
    const ex = { method, path: urlPath, body, status: r.status, response };
    this.log.push(ex);
    const b = body as { type?: string } | undefined;
    if (b?.type === 'get_catalog_state' && r.status === 200) {
      this.state = initState((response as { cli_state?: unknown }).cli_state);
    }
    return ex;
  }

  /** Replay a fixture; returns one mismatch description per failed expectation. */
  async run(fixture: Fixture): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, step] of fixture.steps.entries()) {
      const [method, urlPath] = step.request!.split(' ') as [string, string];
      const body = step.body === undefined ? undefined : this.resolve(step.body);
      const ex = await this.send(method, urlPath, body);
      const where = `${fixture.command} step ${i + 1} (${step.request} ${(body as { type?: string })?.type ?? ''})`;
      const exp = step.expect ?? {};
      if (exp.status !== undefined && ex.status !== exp.status)
        problems.push(
          `${where}: status ${ex.status}, expected ${exp.status}: ${JSON.stringify(ex.response)}`,
        );
      if (
        exp.exact !== undefined &&
        JSON.stringify(sortKeys(ex.response)) !== JSON.stringify(sortKeys(exp.exact))
      )
        problems.push(
          `${where}: got ${JSON.stringify(ex.response)}, expected ${JSON.stringify(exp.exact)}`,
        );
      if (exp.body !== undefined) {
        const miss = contains(ex.response, exp.body, '$');
        if (miss) problems.push(`${where}: ${miss}`);
      }
    }
    return problems;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Whether `actual` contains `expected` (objects: subset of keys; arrays: same length, in order). */
function contains(actual: unknown, expected: unknown, at: string): string | null {
  if (expected === '$any') return actual === undefined ? `${at} missing` : null;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${at}: expected ${expected.length} items, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = contains(actual[i], expected[i], `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual))
      return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const m = contains((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return actual === expected
    ? null
    : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
