/**
 * Where every bench keeps its result: the JSON on one line on standard output (what scripts read)
 * and, pretty-printed, in `bench/results/<name>-<time>.json` (git-ignored) for later comparison.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';

export function saveResult(
  name: string,
  out: unknown,
  opts: {
    /** when the run started (default now): names the file */
    at?: Date | string;
    /** kept in the file only, beside `out` (bulky detail the one-line answer leaves out) */
    details?: Record<string, unknown>;
  } = {},
): string {
  const at = (
    opts.at instanceof Date ? opts.at.toISOString() : (opts.at ?? new Date().toISOString())
  ).replace(/[:.]/g, '-');
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${at}.json`);
  const whole = opts.details ? { ...(out as Record<string, unknown>), ...opts.details } : out;
  fs.writeFileSync(file, `${JSON.stringify(whole, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return file;
}

/** The machine a result was measured on: its cores and its load at the start and at the end. */
export function machineLoad(loadAtStart: number[]): {
  cpus: number;
  load_average_at_start: number[];
  load_average_at_end: number[];
} {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    cpus: os.cpus().length,
    load_average_at_start: loadAtStart.map(r2),
    load_average_at_end: os.loadavg().map(r2),
  };
}
