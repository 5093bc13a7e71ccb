/**
 * bench/scale's settings, from its command line (bench/cli.ts reads the `--name value` pairs):
 * checked here, so a bad value stops the run before anything starts, naming the option.
 */

export const OPTION_NAMES = [
  'messages',
  'partitions',
  'sensors',
  'workers',
  'subscribers',
  'engines',
  'seconds',
  'changes',
  'mode',
  'only',
  'stall',
] as const;

export interface ScaleSettings {
  /** messages (= rows) each ingest run drains */
  messages: number;
  /** partitions of the topic the workers share */
  partitions: number;
  sensors: number;
  /** worker counts, one ingest run each, on the same topic */
  workers: number[];
  /** live-query subscribers of each fan-out run, split across the engines */
  subscribers: number;
  /** engine counts, one fan-out run each */
  engines: number[];
  /** length of each fan-out run */
  seconds: number;
  /** changed series a second during a fan-out run */
  changes: number;
  mode: 'polling' | 'event';
  only: 'all' | 'ingest' | 'fanout';
  /** give up on an ingest run that makes no progress this long */
  stallS: number;
}

export class OptionError extends Error {}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new OptionError(`--${name} ${JSON.stringify(raw)}: expected an integer ${min}..${max}`);
  return n;
}

function counts(name: string, raw: string): number[] {
  const list = raw.split(',').map((part) => int(name, part.trim(), 1, 16));
  if (!list.includes(1))
    throw new OptionError(
      `--${name} ${raw}: must include 1, the run the others are judged against`,
    );
  return [...new Set(list)].sort((a, b) => a - b);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new OptionError(
      `--${name} ${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`,
    );
  return raw as T;
}

/** `arg(name, default)` as bench/cli.ts's cliOptions returns it. */
export function scaleSettings(arg: (name: string, def: string) => string): ScaleSettings {
  const workers = counts('workers', arg('workers', '1,2'));
  const partitions = int('partitions', arg('partitions', '4'), 1, 256);
  if (partitions < Math.max(...workers))
    throw new OptionError(
      `--partitions ${partitions}: fewer than the ${Math.max(...workers)} workers, some would sit idle`,
    );
  return {
    messages: int('messages', arg('messages', '100000'), 1000, 100_000_000),
    partitions,
    sensors: int('sensors', arg('sensors', '50'), 1, 100_000),
    workers,
    subscribers: int('subscribers', arg('subscribers', '2000'), 1, 1_000_000),
    engines: counts('engines', arg('engines', '1,2')),
    seconds: int('seconds', arg('seconds', '15'), 1, 3600),
    changes: int('changes', arg('changes', '100'), 1, 100_000),
    mode: oneOf('mode', arg('mode', 'polling'), ['polling', 'event'] as const),
    only: oneOf('only', arg('only', 'all'), ['all', 'ingest', 'fanout'] as const),
    stallS: int('stall', arg('stall', '120'), 5, 3600),
  };
}
